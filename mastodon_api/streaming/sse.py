"""Server-sent events: ``/api/v1/streaming/user``, ``/user/notification``, ``/public``,
``/public/local``, ``/hashtag?tag=``, ``/hashtag/local?tag=`` (Mastodon.py's ``stream_*`` read
these). Served by the ASGI app itself (daphne), not the Django handler, so that the stream ends
when the client goes away. A comment line every ``MASTODON_STREAMING_HEARTBEAT_SECONDS`` keeps
proxies from closing an idle stream. The stream ends when the session is revoked: at once on the
``session.revoked`` push, or on the session heartbeat (``twitterclone.session_watch``: the
token revoked, replaced or expired, the user suspended or deactivated)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.exceptions import StopConsumer
from channels.generic.http import AsyncHttpConsumer
from django.conf import settings

from twitterclone import session_watch

from ..tokens import oauth_tokens_current
from .session import STREAMS, ScopeRequest, StreamingSession, Subscription, authenticate, token_from_scope

logger = logging.getLogger("twitterclone.mastodon")


def _json(status: int, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": message}).encode()


class MastodonEventStreamConsumer(AsyncHttpConsumer):
    session: StreamingSession | None = None
    heartbeat: asyncio.Task | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.joined: list[str] = []

    async def http_request(self, message: dict[str, Any]) -> None:
        if message.get("more_body"):
            return  # a GET has no body worth reading
        stream = "user" if not self.scope["url_route"]["kwargs"].get("stream") else None
        stream = stream or self.scope["url_route"]["kwargs"]["stream"].replace("/", ":")
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        tag = (query.get("tag") or [None])[0]
        error = await self._start(stream, tag.lstrip("#") if tag else None)
        if error is not None:
            status, body = error
            await self.send_response(status, body, headers=[(b"content-type", b"application/json")])
            await self.disconnect()
            raise StopConsumer()

    async def _start(self, stream: str, tag: str | None) -> tuple[int, bytes] | None:
        if self.scope.get("method") not in ("GET", "HEAD"):
            return _json(405, "Method not allowed")
        if stream not in STREAMS:
            return _json(404, "Unknown stream type")
        if stream.startswith("hashtag") and (not tag or len(tag) > 100 or "\x00" in tag):
            return _json(422, "A hashtag stream needs a tag")
        raw, _ = token_from_scope({**self.scope, "subprotocols": []})
        found = await authenticate(raw)
        if found is None:
            return _json(401, "The access token is invalid")
        user, scopes, token_id = found
        session = StreamingSession(user=user, scopes=scopes, request=ScopeRequest(self.scope, user), token_id=token_id)
        if not session.allowed(stream):
            return _json(403, "This stream is outside the authorized scopes")
        tag = tag if stream.startswith("hashtag") else None
        session.subscriptions.append(Subscription(stream=stream, tag=tag))
        try:
            groups = set(await session.groups_for(stream, tag)) | set(
                await session.groups_for("user:notification", None)
            )
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
                self.joined.append(group)
        except Exception:
            logger.warning("channel layer unavailable for an event stream", exc_info=True)
            return _json(503, "Streaming is unavailable; try again shortly")
        self.session = session
        await self.send_headers(
            status=200,
            headers=[
                (b"content-type", b"text/event-stream"),
                (b"cache-control", b"no-cache"),
                (b"x-accel-buffering", b"no"),
            ],
        )
        await self.send_body(b":)\n\n", more_body=True)
        self.heartbeat = asyncio.ensure_future(self._beat())
        session_watch.watch(self, credential=token_id, current=oauth_tokens_current)
        return None

    async def _beat(self) -> None:
        while self.session is not None:
            await asyncio.sleep(settings.MASTODON_STREAMING_HEARTBEAT_SECONDS)
            if self.session is not None:
                await self.send_body(b":thump\n\n", more_body=True)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # The user group carries events for several kinds of connections: ignore the others.
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is not None:
            await handler(message)

    async def _forward(self, message: dict[str, Any]) -> None:
        if self.session is None:
            return
        try:
            frames = await self.session.frames_for(message)
        except Exception:
            logger.exception("could not render a streaming event")
            return
        for _stream, event, payload in frames:
            await self.send_body(f"event: {event}\ndata: {payload}\n\n".encode(), more_body=True)

    async def notification_push(self, message: dict[str, Any]) -> None:
        await self._forward(message)

    async def status_event(self, message: dict[str, Any]) -> None:
        await self._forward(message)

    async def session_revoked(self, message: dict[str, Any]) -> None:
        await self._end()
        raise StopConsumer()

    async def session_lapsed(self) -> None:
        """The session watch found the token no longer current (revoked, expired, its user
        suspended): the stream ends as on a ``session.revoked`` push. The server then sends
        ``http.disconnect``, which stops the consumer."""
        await self._end()

    async def _end(self) -> None:
        if self.session is not None:
            self.session = None  # nothing more is sent: not an event, not a heartbeat
            await self.send_body(b"", more_body=False)
        await self.disconnect()

    async def disconnect(self) -> None:
        session_watch.unwatch(self)
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            self.heartbeat = None
        for group in self.joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                logger.info("could not leave %s", group, exc_info=True)
        self.joined = []
