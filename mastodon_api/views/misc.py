"""Search, trends, preferences, and the endpoints of features we do not have, answered empty but
valid so that clients carry on (custom emojis, filters, lists, followed tags, announcements,
follow requests)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import user_search
from tweets.selectors import hashtag_exists, trends, tweet_search
from twitterclone.errors import InvalidInput

from .. import presenters
from ..base import MastodonView
from ..entities import StatusRenderer
from ..pagination import page_bounds

MAX_QUERY_LENGTH = 200
SEARCH_TYPES = ("accounts", "statuses", "hashtags")


def _tag(request: Request, name: str, uses: int = 0) -> dict:
    today = int(timezone.now().replace(hour=0, minute=0, second=0, microsecond=0).timestamp())
    return {
        "name": name,
        "url": presenters.tag_url(request, name),
        "history": [{"day": str(today), "uses": str(uses), "accounts": str(uses)}],
        "following": False,
    }


class SearchView(MastodonView):
    """GET /api/v2/search?q=&type=accounts|statuses|hashtags: our user search (prefix), tweet
    search (every word) and hashtags (the exact tag, if it was ever used)."""

    scopes = {"GET": "read:search"}

    def get(self, request: Request) -> Response:
        query = (request.query_params.get("q") or "").strip()
        kind = request.query_params.get("type")
        if kind not in (None, "", *SEARCH_TYPES):
            raise InvalidInput(
                "Validation failed: type must be accounts, statuses or hashtags", fields={"type": [kind]}
            )
        limit = page_bounds(request).limit
        result: dict[str, list] = {"accounts": [], "statuses": [], "hashtags": []}
        if not query or "\x00" in query or len(query) > MAX_QUERY_LENGTH:
            return Response(result)
        if kind in (None, "", "accounts"):
            users = user_search(query=query.lstrip("@").split("@")[0], viewer=request.user).order_by("username")
            result["accounts"] = [presenters.account(request, u) for u in users[:limit]]
        if kind in (None, "", "statuses"):
            tweets = list(tweet_search(query=query, viewer=request.user).order_by("-id")[:limit])
            result["statuses"] = StatusRenderer(request).many(tweets)
        if kind in (None, "", "hashtags"):
            tag = query.lstrip("#")
            if tag and hashtag_exists(tag=tag):
                result["hashtags"] = [_tag(request, tag.lower())]
        return Response(result)


class TrendingTagsView(MastodonView):
    """GET /api/v1/trends/tags: our trends of the last 24 hours (``/api/v1/trends``, Mastodon's
    old alias, is our own API's trends)."""

    anonymous_methods = ("GET",)
    app_token_methods = ("GET",)

    def get(self, request: Request) -> Response:
        limit = page_bounds(request).limit
        return Response([_tag(request, row["name"], row["tweet_count"]) for row in trends(limit=min(limit, 20))])


class PreferencesView(MastodonView):
    """GET /api/v1/preferences: our defaults (posts are public unless chosen otherwise)."""

    scopes = {"GET": "read:accounts"}

    def get(self, request: Request) -> Response:
        return Response(
            {
                "posting:default:visibility": "public",
                "posting:default:sensitive": False,
                "posting:default:language": None,
                "reading:expand:media": "default",
                "reading:expand:spoilers": False,
            }
        )


class EmptyListView(MastodonView):
    """An empty list: a feature we do not have yet (the list of endpoints is in docs/mastodon.md)."""

    scope = "read"
    anonymous_methods: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        self.scopes = {"GET": self.scope}
        super().initial(request, *args, **kwargs)

    def get(self, request: Request) -> Response:
        return Response([])
