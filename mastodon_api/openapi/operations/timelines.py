"""Mastodon operations: timelines and notifications."""

from __future__ import annotations

from ..components import array, ref
from ._base import BOOLEAN_QUERY, EMPTY_OBJECT, NOTIFICATION_ID, PAGINATION, STATUS_LIST, TAG, Operation, query

OPERATIONS: tuple[Operation, ...] = (
    # --- Timelines ---------------------------------------------------------------------------------
    Operation(
        "get",
        "/api/v1/timelines/home",
        "mastodon_timeline_home",
        "The home timeline",
        STATUS_LIST,
        scopes=("read:statuses",),
        parameters=PAGINATION,
        paginated=True,
        description="The same home timeline as `GET /api/v1/timeline/home`.",
    ),
    Operation(
        "get",
        "/api/v1/timelines/public",
        "mastodon_timeline_public",
        "The public timeline",
        STATUS_LIST,
        scopes=("read:statuses",),
        anonymous=True,
        any_token=True,
        parameters=(
            *PAGINATION,
            query("local", BOOLEAN_QUERY, "Changes nothing: every account is local."),
            query("remote", BOOLEAN_QUERY, "true: empty."),
            query("only_media", BOOLEAN_QUERY, "true: empty."),
        ),
        paginated=True,
    ),
    Operation(
        "get",
        "/api/v1/timelines/tag/{tag}",
        "mastodon_timeline_tag",
        "A hashtag's timeline",
        STATUS_LIST,
        scopes=("read:statuses",),
        anonymous=True,
        any_token=True,
        parameters=(
            TAG,
            *PAGINATION,
            query("local", BOOLEAN_QUERY, "Changes nothing: every account is local."),
            query("remote", BOOLEAN_QUERY, "true: empty."),
            query("only_media", BOOLEAN_QUERY, "true: empty."),
        ),
        paginated=True,
    ),
    Operation(
        "get",
        "/api/v1/bookmarks",
        "mastodon_bookmarks",
        "Your bookmarks (Mastodon token)",
        STATUS_LIST,
        scopes=("read:bookmarks",),
        parameters=PAGINATION,
        paginated=True,
        description="Most recently bookmarked first, paged by the bookmark's id.",
    ),
    Operation(
        "get",
        "/api/v1/favourites",
        "mastodon_favourites",
        "Your favourites",
        STATUS_LIST,
        scopes=("read:favourites",),
        parameters=PAGINATION,
        paginated=True,
        description="Most recently favourited first, paged by the like's id.",
    ),
    # --- Notifications -----------------------------------------------------------------------------
    Operation(
        "get",
        "/api/v1/notifications",
        "mastodon_notifications",
        "Your notifications (Mastodon token)",
        array(ref("MastodonNotification")),
        scopes=("read:notifications",),
        parameters=(
            *PAGINATION,
            query(
                "types[]",
                array({"type": "string"}),
                "Only these types (`types` works too); unknown ones match nothing.",
            ),
            query("exclude_types[]", array({"type": "string"}), "Not these types (`exclude_types` works too)."),
            query("account_id", {"type": "string"}, "Only from this account."),
        ),
        paginated=True,
    ),
    Operation(
        "post",
        "/api/v1/notifications/clear",
        "mastodon_notifications_clear",
        "Delete all your notifications",
        EMPTY_OBJECT,
        scopes=("write:notifications",),
        body_required=False,
    ),
    Operation(
        "get",
        "/api/v1/notifications/{notification_id}",
        "mastodon_notification",
        "One of your notifications",
        ref("MastodonNotification"),
        scopes=("read:notifications",),
        parameters=(NOTIFICATION_ID,),
        errors=("404",),
    ),
    Operation(
        "post",
        "/api/v1/notifications/{notification_id}/dismiss",
        "mastodon_notification_dismiss",
        "Delete one of your notifications",
        EMPTY_OBJECT,
        scopes=("write:notifications",),
        parameters=(NOTIFICATION_ID,),
        errors=("404",),
        description="Idempotent: `{}` also when it is already gone (404 only for what is not an id).",
    ),
    Operation(
        "get",
        "/api/v1/notifications/unread_count",
        "mastodon_notifications_unread_count",
        "How many notifications are newer than your notifications marker",
        ref("UnreadCount"),  # our component: the same {"count": n} as our unread count
        scopes=("read:notifications",),
        parameters=(
            query(
                "limit",
                {"type": "integer", "minimum": 0, "default": 100},
                "Count up to this many: default 100, at most 1000.",
            ),
            query("types[]", array({"type": "string"}), "Only these types (`types` works too)."),
            query("exclude_types[]", array({"type": "string"}), "Not these types (`exclude_types` works too)."),
        ),
        description="Mastodon 4.3: all of them when no notifications marker was saved; those about posts "
        "you can no longer see are not counted (nor listed).",
    ),
)
