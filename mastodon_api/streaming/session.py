"""What a streaming connection (WebSocket or server-sent events) does, whichever transport:
authenticate the OAuth token, map Mastodon streams to channel-layer groups, and turn group
events into Mastodon's ``(stream, event, payload)``, rendered for the connection's user.

Groups: ``user_group_name(user)`` carries our live notifications (``notification.push``, the
same message our notification sockets get) and ``session.revoked``; ``tweets.live`` groups carry
``status.event`` for authors, public posts and hashtags. Every status is rendered through
``tweets.selectors.tweet_get_visible`` (the one visibility rule) for this user, and home-stream
updates also skip muted authors, so what a stream shows matches what the REST API shows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from django.utils import timezone

from accounts.auth import user_can_authenticate
from tweets import live
from twitterclone.broadcast import user_group_name
from twitterclone.errors import NotFound
from twitterclone.socket_threads import socket_database_sync_to_async

from ..scopes import covers

STREAMS = ("user", "user:notification", "public", "public:local", "hashtag", "hashtag:local")
MAX_FOLLOWED_AUTHORS = 5000


class ScopeRequest:
    """Just enough of a request for the presenters: the user and absolute URLs of this host."""

    def __init__(self, scope: dict, user) -> None:
        headers = dict(scope.get("headers") or [])
        self.host = headers.get(b"host", b"localhost").decode("latin-1")
        secure = scope.get("scheme") in ("https", "wss")
        self.scheme = "https" if secure else "http"
        self.user = user

    def build_absolute_uri(self, path: str) -> str:
        return f"{self.scheme}://{self.host}{path}"

    def get_host(self) -> str:
        return self.host


def token_from_scope(scope: dict) -> tuple[str | None, str | None]:
    """(token, subprotocol to echo): from ``access_token``, ``Authorization: Bearer`` or the
    ``Sec-WebSocket-Protocol`` header (browsers cannot set headers on a socket)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("access_token"):
        return query["access_token"][0], None
    headers = dict(scope.get("headers") or [])
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip(), None
    subprotocols = scope.get("subprotocols") or []
    if len(subprotocols) == 1:
        return subprotocols[0], subprotocols[0]
    return None, None


@dataclass
class Subscription:
    stream: str
    tag: str | None = None

    def frame_stream(self) -> list[str]:
        return [self.stream, self.tag] if self.tag is not None else [self.stream]


@dataclass
class StreamingSession:
    user: Any
    scopes: list[str]
    request: ScopeRequest
    token_id: int  # the OAuth access token's row: re-checked on the session heartbeat
    subscriptions: list[Subscription] = field(default_factory=list)

    # --- subscriptions ---------------------------------------------------------------------------

    def allowed(self, stream: str) -> bool:
        if stream.startswith("user"):
            return any(covers(self.scopes, s) for s in ("read:statuses", "read:notifications"))
        return covers(self.scopes, "read:statuses")

    async def groups_for(self, stream: str, tag: str | None) -> list[str]:
        if stream == "user":
            followed = await _followed_author_ids(self.user.pk)
            return [user_group_name(self.user.pk), *(live.author_group_name(i) for i in [self.user.pk, *followed])]
        if stream == "user:notification":
            return [user_group_name(self.user.pk)]
        if stream in ("public", "public:local"):
            return [live.PUBLIC_GROUP]
        return [live.hashtag_group_name(tag or "")]

    def subscribed(self, stream: str, tag: str | None = None) -> Subscription | None:
        for sub in self.subscriptions:
            if sub.stream == stream and (tag is None or (sub.tag or "").lower() == tag.lower()):
                return sub
        return None

    # --- events --------------------------------------------------------------------------------

    async def frames_for(self, message: dict[str, Any]) -> list[tuple[list[str], str, str]]:
        """The (stream, event, payload) frames this group message becomes for this connection."""
        kind = message.get("type")
        if kind == "notification.push":
            targets = [s for s in self.subscriptions if s.stream in ("user", "user:notification")]
            if not targets:
                return []
            payload = await _render_notification(self, message["notification"]["id"])
            return [(t.frame_stream(), "notification", payload) for t in targets] if payload else []
        if kind != live.EVENT_TYPE:
            return []
        group = message.get("group")
        if group == "author":
            targets = [s for s in self.subscriptions if s.stream == "user"]
        elif group == "public":
            targets = [s for s in self.subscriptions if s.stream in ("public", "public:local")]
        elif group == "hashtag":
            tag = (message.get("tag") or "").lower()
            targets = [s for s in self.subscriptions if s.stream.startswith("hashtag") and (s.tag or "").lower() == tag]
        else:
            targets = []
        if not targets:
            return []
        event = message["event"]
        if event == "delete":
            payload = str(message["tweet_id"])
        else:
            payload = await _render_status(self, message["tweet_id"], home=group == "author")
            if payload is None:
                return []
        return [(t.frame_stream(), event, payload) for t in targets]


@socket_database_sync_to_async
def authenticate(raw: str | None) -> tuple[Any, list[str], int] | None:
    """The user, scopes and token id of a valid, unexpired Mastodon OAuth token of an active user."""
    from oauth2_provider.models import AccessToken

    if not raw or len(raw) > 255:
        return None
    token = (
        AccessToken.objects.select_related("user")
        .filter(token_checksum=hashlib.sha256(raw.encode()).hexdigest(), expires__gt=timezone.now())
        .first()
    )
    if token is None or token.user is None or not user_can_authenticate(token.user):
        return None
    return token.user, token.scope.split(), token.pk


@socket_database_sync_to_async
def _followed_author_ids(user_id: int) -> list[int]:
    from social.models import Follow

    return list(
        Follow.objects.filter(follower_id=user_id)
        .order_by("-pk")
        .values_list("followee_id", flat=True)[:MAX_FOLLOWED_AUTHORS]
    )


@socket_database_sync_to_async
def _render_status(session: StreamingSession, tweet_id: int, *, home: bool) -> str | None:
    from social.selectors import mutes
    from tweets.selectors import tweet_get_visible

    from ..entities import StatusRenderer

    try:
        tweet = tweet_get_visible(tweet_id=tweet_id, viewer=session.user)
    except NotFound:
        return None
    if home and tweet.author_id != session.user.pk and mutes(muter_id=session.user.pk, muted_id=tweet.author_id):
        return None
    return json.dumps(StatusRenderer(session.request).one(tweet))


@socket_database_sync_to_async
def _render_notification(session: StreamingSession, notification_id: int) -> str | None:
    from notifications.selectors import notifications_for, tweets_visible_to

    from .. import entities

    row = (
        notifications_for(recipient_id=session.user.pk)
        .filter(pk=notification_id, type__in=list(entities.NOTIFICATION_TYPES_OUT))
        .first()
    )
    if row is None:
        return None
    tweets = {t.pk: t for t in tweets_visible_to(viewer=session.user, ids={row.tweet_id} if row.tweet_id else set())}
    if row.tweet_id and row.tweet_id not in tweets:
        return None
    return json.dumps(entities.notifications(session.request, [row], tweets)[0])
