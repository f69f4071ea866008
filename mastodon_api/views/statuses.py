"""Mastodon's statuses endpoints, over tweets.services and tweets.selectors."""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.response import Response

from tweets import services
from tweets.models import Tweet
from tweets.selectors import (
    tweet_context,
    tweet_edit_history,
    tweet_get_visible,
    tweet_liked_by,
    tweet_retweeted_by,
)
from twitterclone.errors import InvalidInput, NotFound

from .. import presenters
from ..base import MastodonView
from ..entities import VISIBILITY_IN, StatusRenderer
from ..ids import parse_id
from ..pagination import keyset_page, page_bounds, paginated

IDEMPOTENCY_SECONDS = 3600


def _id(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    parsed = parse_id(value)
    if parsed is None:
        raise InvalidInput(f"Validation failed: {name} is not a status id", fields={name: ["invalid"]})
    return parsed


BOOLEAN_WORDS = ("true", "false", "1", "0", "on", "off", "yes", "no")


def _refuse_malformed_extras(data: Any) -> None:
    """``sensitive`` and ``language`` are accepted and not stored, but must still be what they
    say: a boolean (or a form's word for one) and a string."""
    sensitive = data.get("sensitive")
    words = isinstance(sensitive, str) and sensitive.strip().lower() in BOOLEAN_WORDS
    if sensitive not in (None, "") and not isinstance(sensitive, bool) and not words:
        raise InvalidInput("Validation failed: sensitive must be a boolean", fields={"sensitive": ["invalid"]})
    language = data.get("language")
    if language is not None and not isinstance(language, str):
        raise InvalidInput("Validation failed: language must be a string", fields={"language": ["invalid"]})


def _refuse_unsupported(data: Any) -> None:
    """Media, polls and content warnings (on post and edit): we have none of them, so a 422
    rather than a post that silently lacks them."""
    if data.get("media_ids") or data.get("media_ids[]") or data.get("poll") or data.get("poll[options][]"):
        raise InvalidInput("Validation failed: media and polls are not supported here")
    spoiler = data.get("spoiler_text")
    if spoiler is not None and (not isinstance(spoiler, str) or spoiler.strip()):
        raise InvalidInput("Validation failed: content warnings (spoiler_text) are not supported here")


def _visible(request: Request, status_id: str) -> Tweet:
    tweet_id = parse_id(status_id)  # strictly: int() would also take "+1", " 5" and "\u0665"
    if tweet_id is None:
        raise NotFound("Record not found")
    return tweet_get_visible(tweet_id=tweet_id, viewer=request.user)


def _render(request: Request, tweet_id: int) -> dict[str, Any]:
    return StatusRenderer(request).one(_visible(request, str(tweet_id)))


class StatusCreateView(MastodonView):
    """POST /api/v1/statuses (JSON or form): status, in_reply_to_id, visibility, spoiler_text,
    sensitive, language. ``Idempotency-Key`` makes a retried post answer the first one's status."""

    scopes = {"POST": "write:statuses"}

    def post(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key")
        cache_key = f"mastodon:idempotency:{request.user.pk}:{key[:200]}" if key else None
        if cache_key:
            try:
                claimed = cache.add(cache_key, "pending", IDEMPOTENCY_SECONDS)
            except Exception:  # no cache: no idempotency, but the post still works
                claimed, cache_key = True, None
            if not claimed:
                return Response(_render(request, self._wait_for(cache_key)))
        try:
            tweet = self._create(request)
        except Exception:
            if cache_key:
                cache.delete(cache_key)
            raise
        if cache_key:
            cache.set(cache_key, tweet.pk, IDEMPOTENCY_SECONDS)
        return Response(_render(request, tweet.pk))

    def _wait_for(self, cache_key: str) -> int:
        for _ in range(50):
            value = cache.get(cache_key)
            if isinstance(value, int):
                return value
            if value is None:
                break
            time.sleep(0.1)
        raise InvalidInput("Validation failed: a request with this Idempotency-Key is still being processed")

    def _create(self, request: Request) -> Tweet:
        data = request.data
        _refuse_unsupported(data)
        _refuse_malformed_extras(data)
        if data.get("scheduled_at") not in (None, ""):
            # Posting at once what was meant for later would be worse than refusing.
            raise InvalidInput("Validation failed: scheduled statuses are not supported here")
        visibility = data.get("visibility")
        visibility = "public" if visibility is None or visibility == "" else visibility
        if not isinstance(visibility, str) or visibility not in VISIBILITY_IN:
            raise InvalidInput(
                "Validation failed: visibility must be public, unlisted or private",
                fields={"visibility": [str(visibility)]},
            )
        text = data.get("status")
        if not isinstance(text, str):
            raise InvalidInput("Validation failed: Text can't be blank", fields={"status": ["blank"]})
        return services.tweet_create(
            author=request.user,
            text=text,
            reply_to_id=_id(data.get("in_reply_to_id"), "in_reply_to_id"),
            visibility=VISIBILITY_IN[visibility],
        )


class StatusView(MastodonView):
    """GET, PUT (edit: ``status``, the text; the author only) and DELETE /api/v1/statuses/:id."""

    scopes = {"GET": "read:statuses", "PUT": "write:statuses", "DELETE": "write:statuses"}
    anonymous_methods = ("GET",)
    app_token_methods = ("GET",)

    def get(self, request: Request, status_id: str) -> Response:
        return Response(StatusRenderer(request).one(_visible(request, status_id)))

    def put(self, request: Request, status_id: str) -> Response:
        tweet = _visible(request, status_id)
        _refuse_unsupported(request.data)
        text = request.data.get("status")
        if not isinstance(text, str):
            raise InvalidInput("Validation failed: Text can't be blank", fields={"status": ["blank"]})
        services.tweet_edit(tweet=tweet, actor=request.user, text=text)
        return Response(_render(request, tweet.pk))

    def delete(self, request: Request, status_id: str) -> Response:
        tweet = _visible(request, status_id)
        data = StatusRenderer(request).one(tweet)
        data["text"] = tweet.text  # Mastodon returns the source, for "delete and redraft"
        services.tweet_delete(tweet=tweet, actor=request.user)
        return Response(data)


class StatusContextView(MastodonView):
    """GET /api/v1/statuses/:id/context."""

    scopes = {"GET": "read:statuses"}
    anonymous_methods = ("GET",)
    app_token_methods = ("GET",)

    def get(self, request: Request, status_id: str) -> Response:
        tweet = _visible(request, status_id)
        context = tweet_context(tweet=tweet, viewer=request.user)
        renderer = StatusRenderer(request)
        renderer.prepare([*context["ancestors"], *context["descendants"]])
        return Response(
            {
                "ancestors": [renderer.status(t) for t in context["ancestors"]],
                "descendants": [renderer.status(t) for t in context["descendants"]],
            }
        )


class StatusActionView(MastodonView):
    """POST /api/v1/statuses/:id/{favourite,unfavourite,reblog,unreblog,bookmark,unbookmark}:
    the status after the change (for reblog: the reblog, with the original nested)."""

    action = "favourite"
    ACTIONS = {
        "favourite": (services.like_create, "write:favourites"),
        "unfavourite": (services.like_delete, "write:favourites"),
        "reblog": (services.retweet_create, "write:statuses"),
        "unreblog": (services.retweet_delete, "write:statuses"),
        "bookmark": (services.bookmark_create, "write:bookmarks"),
        "unbookmark": (services.bookmark_delete, "write:bookmarks"),
    }

    def initial(self, request, *args, **kwargs):
        self.scopes = {"POST": self.ACTIONS[self.action][1]}
        super().initial(request, *args, **kwargs)

    def post(self, request: Request, status_id: str) -> Response:
        tweet = _visible(request, status_id)
        service, _scope = self.ACTIONS[self.action]
        original_id = service(user=request.user, tweet_id=tweet.pk)
        if self.action == "reblog":
            retweet = Tweet.objects.filter(author=request.user, retweet_of_id=original_id).first()
            if retweet is not None:
                return Response(_render(request, retweet.pk))
        return Response(_render(request, original_id))


class StatusHistoryView(MastodonView):
    """GET /api/v1/statuses/:id/history: every version of the status (StatusEdit), oldest first,
    the current one last; one entry for a status never edited."""

    scopes = {"GET": "read:statuses"}
    anonymous_methods = ("GET",)
    app_token_methods = ("GET",)

    def get(self, request: Request, status_id: str) -> Response:
        tweet = _visible(request, status_id)
        renderer = StatusRenderer(request)
        renderer.prepare([tweet])
        return Response(renderer.history(tweet, tweet_edit_history(tweet=tweet)))


class StatusSourceView(MastodonView):
    """GET /api/v1/statuses/:id/source: the plain text to edit (StatusSource)."""

    scopes = {"GET": "read:statuses"}
    app_token_methods = ("GET",)

    def get(self, request: Request, status_id: str) -> Response:
        tweet = _visible(request, status_id)
        return Response({"id": str(tweet.pk), "text": tweet.text, "spoiler_text": ""})


class StatusAccountsView(MastodonView):
    """GET /api/v1/statuses/:id/favourited_by and /reblogged_by: the accounts, most recent first,
    paged by the like's or the reblog's id (limit 40 by default, at most 80, as Mastodon)."""

    scopes = {"GET": "read:statuses"}
    anonymous_methods = ("GET",)
    app_token_methods = ("GET",)
    LISTS = {"favourited_by": (tweet_liked_by, "like_id"), "reblogged_by": (tweet_retweeted_by, "retweet_id")}
    kind = "favourited_by"

    def get(self, request: Request, status_id: str) -> Response:
        bounds = page_bounds(request, default=40, maximum=80)
        tweet = _visible(request, status_id)
        select, key = self.LISTS[self.kind]
        users = keyset_page(select(tweet=tweet, viewer=request.user), bounds, key=key)
        data = [presenters.account(request, user) for user in users]
        return paginated(request, data, [getattr(user, key) for user in users])
