"""Mastodon's timelines, bookmarks and favourites, over tweets.feeds and tweets.selectors."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from tweets import feeds
from tweets.display import attach_display_data
from tweets.models import Tweet
from tweets.selectors import bookmarked_tweets, hashtag_tweets, user_liked_tweets

from ..base import MastodonView
from ..entities import StatusRenderer
from ..pagination import keyset_page, page_bounds, paginated


class HomeTimelineView(MastodonView):
    """GET /api/v1/timelines/home: the same home timeline as ours (tweets.feeds.home_page)."""

    scopes = {"GET": "read:statuses"}

    def get(self, request: Request) -> Response:
        bounds = page_bounds(request)
        page = feeds.home_page(viewer=request.user, size=bounds.limit, before=bounds.max_id, after=bounds.min_id)
        tweets, embedded = page.as_tweets()
        if bounds.since_id is not None:
            tweets = [tweet for tweet in tweets if tweet.pk > bounds.since_id]
        attach_display_data(tweets, request.user, embedded=embedded, usernames=page.usernames)
        response = paginated(request, StatusRenderer(request).many(tweets), [t.pk for t in tweets])
        response["X-Timeline-Source"] = page.source
        return response


class PublicTimelineView(MastodonView):
    """GET /api/v1/timelines/public: every visible post (not retweets), newest first. Every account
    is local, so ``local`` changes nothing and ``remote=true`` is empty; ``only_media`` is empty."""

    scopes = {"GET": "read:statuses"}
    anonymous_methods = ("GET",)
    app_token_methods = ("GET",)

    def get(self, request: Request) -> Response:
        bounds = page_bounds(request)
        if _true(request, "remote") or _true(request, "only_media"):
            return Response([])
        queryset = Tweet.objects.visible_to(request.user).originals().select_related("author")
        tweets = keyset_page(queryset, bounds)
        return paginated(request, StatusRenderer(request).many(tweets), [t.pk for t in tweets])


class TagTimelineView(MastodonView):
    """GET /api/v1/timelines/tag/:hashtag."""

    scopes = {"GET": "read:statuses"}
    anonymous_methods = ("GET",)
    app_token_methods = ("GET",)

    def get(self, request: Request, tag: str) -> Response:
        bounds = page_bounds(request)
        if _true(request, "remote") or _true(request, "only_media") or "\x00" in tag:
            return Response([])
        tweets = keyset_page(hashtag_tweets(tag=tag, viewer=request.user), bounds)
        return paginated(request, StatusRenderer(request).many(tweets), [t.pk for t in tweets])


class BookmarksView(MastodonView):
    """GET /api/v1/bookmarks, most recently bookmarked first."""

    scopes = {"GET": "read:bookmarks"}

    def get(self, request: Request) -> Response:
        tweets = keyset_page(bookmarked_tweets(user=request.user), page_bounds(request), key="bookmark_id")
        return paginated(request, StatusRenderer(request).many(tweets), [t.bookmark_id for t in tweets])


class FavouritesView(MastodonView):
    """GET /api/v1/favourites, most recently favourited first."""

    scopes = {"GET": "read:favourites"}

    def get(self, request: Request) -> Response:
        queryset = user_liked_tweets(user=request.user, viewer=request.user)
        tweets = keyset_page(queryset, page_bounds(request), key="like_id")
        return paginated(request, StatusRenderer(request).many(tweets), [t.like_id for t in tweets])


def _true(request: Request, name: str) -> bool:
    return (request.query_params.get(name) or "").lower() in ("1", "true", "yes", "on")
