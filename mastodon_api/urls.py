"""Routes of the Mastodon client API (included by twitterclone/urls.py at the root, first).

Every route also answers with a trailing slash, as Mastodon's do (Mastodon.py asks for
``/api/v1/instance/``). Where a path exists in both APIs (``/api/v1/notifications``,
``/api/v1/notifications/unread_count``, ``/api/v1/bookmarks``) a JWT, or no token, goes to ours
and a Mastodon OAuth token to Mastodon's (``by_token``)."""

from django.urls import re_path

from .views import accounts, credentials, instance, markers, misc, notifications, oauth, statuses, timelines

app_name = "mastodon_api"


def route(path: str, view, name: str | None = None):
    return re_path(rf"^{path}/?$", view, name=name)


def _is_mastodon_request(request) -> bool:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    return bool(token) and "." not in token  # a JWT has dots; a Mastodon token has none


def speaks_mastodon(request) -> bool:
    """Whether this request is one for the Mastodon API, so its errors take Mastodon's shape even
    when our middleware answers (413, 414, 429): a route of this module, except on the paths both
    APIs serve, where only a Mastodon token makes it Mastodon's."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    if match.namespace != app_name:
        return False
    mastodon_view = getattr(match.func, "mastodon_view", None)
    if mastodon_view is not None:  # by_token: the token decides, for a method Mastodon's view has
        method = (request.method or "get").lower()
        return hasattr(mastodon_view.view_class, method) and _is_mastodon_request(request)
    return True


def by_token(mastodon_view, ours):
    """A view that hands the request to ``mastodon_view`` for a Mastodon token, else to ``ours``."""

    mastodon_class = getattr(mastodon_view, "view_class", None)

    def view(request, *args, **kwargs):
        # A method only ours has (DELETE /api/v1/notifications) stays ours whatever the token, so an
        # invalid token there is our 401, not Mastodon's 405 (schemathesis' ignored_auth check).
        mastodon_method = mastodon_class is None or hasattr(mastodon_class, (request.method or "get").lower())
        chosen = mastodon_view if mastodon_method and _is_mastodon_request(request) else ours
        return chosen(request, *args, **kwargs)

    view.mastodon_view = mastodon_view  # for mastodon_api/tests/test_openapi.py (one operation, two APIs)
    return view


def _ours_notifications(request, *args, **kwargs):
    from notifications.views import NotificationViewSet

    return NotificationViewSet.as_view({"get": "list", "delete": "clear"})(request, *args, **kwargs)


def _ours_unread_count(request, *args, **kwargs):
    from notifications.views import NotificationViewSet

    return NotificationViewSet.as_view({"get": "unread_count"})(request, *args, **kwargs)


def _ours_bookmarks(request, *args, **kwargs):
    from tweets.views import BookmarksView

    return BookmarksView.as_view()(request, *args, **kwargs)


ID = r"(?P<{}>[^/]+)"
ACCOUNT = ID.format("account_id")
STATUS = ID.format("status_id")
# Any segment but our /notifications/read_all and unread_count (which stay ours), so that a
# malformed id is Mastodon's 404, not a path nobody serves.
NOTIFICATION = r"(?P<notification_id>(?!(?:read_all|unread_count)/?$)[^/]+)"

urlpatterns = [
    # OAuth, apps, instance
    route("api/v1/apps", oauth.AppsView.as_view(), name="apps"),
    route("api/v1/apps/verify_credentials", oauth.AppVerifyCredentialsView.as_view(), name="app-verify"),
    route("api/v1/instance", instance.InstanceV1View.as_view(), name="instance-v1"),
    route("api/v2/instance", instance.InstanceV2View.as_view(), name="instance-v2"),
    route("oauth/login", oauth.LoginView.as_view(), name="login"),
    route("oauth/authorize", oauth.AuthorizeView.as_view(), name="authorize"),
    route("oauth/token", oauth.MastodonTokenView.as_view(), name="token"),
    route("oauth/revoke", oauth.MastodonRevokeView.as_view(), name="revoke"),
    route(r"\.well-known/oauth-authorization-server", oauth.authorization_server_metadata, name="oauth-metadata"),
    route(r"\.well-known/nodeinfo", instance.nodeinfo_links, name="nodeinfo-links"),
    route(r"nodeinfo/2\.0", instance.nodeinfo, name="nodeinfo"),
    # Accounts
    route("api/v1/accounts/verify_credentials", accounts.VerifyCredentialsView.as_view(), name="verify-credentials"),
    route("api/v1/accounts/update_credentials", credentials.UpdateCredentialsView.as_view(), name="update-credentials"),
    route("api/v1/accounts/lookup", accounts.LookupView.as_view(), name="account-lookup"),
    route("api/v1/accounts/relationships", accounts.RelationshipsView.as_view(), name="relationships"),
    route("api/v1/accounts/search", accounts.AccountSearchView.as_view(), name="account-search"),
    route(f"api/v1/accounts/{ACCOUNT}", accounts.AccountView.as_view(), name="account"),
    route(f"api/v1/accounts/{ACCOUNT}/statuses", accounts.AccountStatusesView.as_view(), name="account-statuses"),
    route(f"api/v1/accounts/{ACCOUNT}/followers", accounts.FollowListView.as_view(direction="followers")),
    route(f"api/v1/accounts/{ACCOUNT}/following", accounts.FollowListView.as_view(direction="following")),
    *[
        route(f"api/v1/accounts/{ACCOUNT}/{action}", accounts.RelationshipActionView.as_view(action=action))
        for action in accounts.RelationshipActionView.ACTIONS
    ],
    *[route(f"api/v1/{kind}", accounts.BlocksMutesView.as_view(kind=kind)) for kind in accounts.BlocksMutesView.LISTS],
    # Statuses
    route("api/v1/statuses", statuses.StatusCreateView.as_view(), name="status-create"),
    route(f"api/v1/statuses/{STATUS}", statuses.StatusView.as_view(), name="status"),
    route(f"api/v1/statuses/{STATUS}/context", statuses.StatusContextView.as_view(), name="status-context"),
    route(f"api/v1/statuses/{STATUS}/history", statuses.StatusHistoryView.as_view(), name="status-history"),
    route(f"api/v1/statuses/{STATUS}/source", statuses.StatusSourceView.as_view(), name="status-source"),
    *[
        route(f"api/v1/statuses/{STATUS}/{kind}", statuses.StatusAccountsView.as_view(kind=kind), name=f"status-{kind}")
        for kind in statuses.StatusAccountsView.LISTS
    ],
    *[
        route(f"api/v1/statuses/{STATUS}/{action}", statuses.StatusActionView.as_view(action=action))
        for action in statuses.StatusActionView.ACTIONS
    ],
    # Timelines and lists of statuses
    route("api/v1/timelines/home", timelines.HomeTimelineView.as_view(), name="timeline-home"),
    route("api/v1/timelines/public", timelines.PublicTimelineView.as_view(), name="timeline-public"),
    route(r"api/v1/timelines/tag/(?P<tag>[^/]+)", timelines.TagTimelineView.as_view(), name="timeline-tag"),
    route("api/v1/bookmarks", by_token(timelines.BookmarksView.as_view(), _ours_bookmarks), name="bookmarks"),
    route("api/v1/favourites", timelines.FavouritesView.as_view(), name="favourites"),
    # Notifications
    route(
        "api/v1/notifications",
        by_token(notifications.NotificationsView.as_view(), _ours_notifications),
        name="notifications",
    ),
    route("api/v1/notifications/clear", notifications.NotificationsClearView.as_view(), name="notifications-clear"),
    route(
        "api/v1/notifications/unread_count",
        by_token(notifications.UnreadCountView.as_view(), _ours_unread_count),
        name="notifications-unread-count",
    ),
    route(f"api/v1/notifications/{NOTIFICATION}", notifications.NotificationView.as_view(), name="notification"),
    route(f"api/v1/notifications/{NOTIFICATION}/dismiss", notifications.NotificationDismissView.as_view()),
    # Search, trends, preferences, and empty lists for what we do not have
    route("api/v2/search", misc.SearchView.as_view(), name="search"),
    route("api/v1/trends/tags", misc.TrendingTagsView.as_view(), name="trends-tags"),
    route("api/v1/preferences", misc.PreferencesView.as_view(), name="preferences"),
    route("api/v1/markers", markers.MarkersView.as_view(), name="markers"),
    *[
        route(path, misc.EmptyListView.as_view(scope=scope, anonymous_methods=anonymous))
        for path, scope, anonymous in [
            ("api/v1/custom_emojis", "read", ("GET",)),
            ("api/v1/trends/statuses", "read", ("GET",)),
            ("api/v1/trends/links", "read", ("GET",)),
            ("api/v1/announcements", "read", ()),
            ("api/v1/filters", "read:filters", ()),
            ("api/v2/filters", "read:filters", ()),
            ("api/v1/lists", "read:lists", ()),
            ("api/v1/followed_tags", "read:follows", ()),
            ("api/v1/follow_requests", "read:follows", ()),
        ]
    ],
]
