"""``/api/v1/streaming`` over WebSocket, as Mastodon serves it.

Token: ``?access_token=``, ``Authorization: Bearer``, or the token as the only
``Sec-WebSocket-Protocol`` (echoed back, or browsers drop the socket). ``?stream=`` (and ``tag``)
subscribes at once; ``{"type": "subscribe", "stream": "hashtag", "tag": "x"}`` and
``{"type": "unsubscribe", ...}`` change the subscriptions. Frames sent:
``{"stream": ["user"], "event": "update" | "notification" | "delete" | "status.update",
"payload": "<JSON as a string>"}`` (the bare id for ``delete``), and ``{"error": "..."}`` for a
bad subscription. A connection without a valid token is refused before the handshake completes;
a revoked session (suspension, password change) closes with 4001: at once by the
``session.revoked`` push, or on the session heartbeat (``twitterclone.session_watch``) when the
push was lost or the token was revoked, replaced or expired on its own."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

from twitterclone import session_watch
from twitterclone.ws import CLOSE_LAYER_UNAVAILABLE, CLOSE_SESSION_REVOKED, JsonSocketConsumer
from twitterclone.ws_frames import Field, FrameError

from ..tokens import oauth_tokens_current
from .session import STREAMS, ScopeRequest, StreamingSession, Subscription, authenticate, token_from_scope

logger = logging.getLogger("twitterclone.mastodon")


def _stream(name: str, value: Any) -> str:
    if not isinstance(value, str) or value not in STREAMS:
        raise FrameError("invalid", f"Unknown stream type: {str(value)[:40]}")
    return value


def _tag(name: str, value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value.lstrip("#")) <= 100 or "\x00" in value:
        raise FrameError("invalid", "A hashtag stream needs a tag.")
    return value.lstrip("#")


SUBSCRIPTION_FIELDS = {"stream": Field(_stream), "tag": Field(_tag, required=False), "list": Field(str, required=False)}


class MastodonStreamingConsumer(JsonSocketConsumer):
    frame_types = {"subscribe": SUBSCRIPTION_FIELDS, "unsubscribe": SUBSCRIPTION_FIELDS}
    session: StreamingSession | None = None
    joined: set[str]

    async def connect(self) -> None:
        self.joined = set()
        raw, subprotocol = token_from_scope(self.scope)
        found = await authenticate(raw)
        if found is None:
            await self.close()  # before accepting: the handshake is refused
            return
        user, scopes, token_id = found
        self.session = StreamingSession(
            user=user, scopes=scopes, request=ScopeRequest(self.scope, user), token_id=token_id
        )
        # The groups are joined before the handshake completes: once the client sees the socket
        # open, every later event reaches it (joining after the accept lost the first ones).
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        stream = (query.get("stream") or [None])[0]
        try:
            await self._join(set(await self.session.groups_for("user:notification", None)))  # revocation
            error = await self._subscribe(stream, (query.get("tag") or [None])[0]) if stream else None
        except Exception:
            logger.warning("channel layer unavailable; closing streaming socket with 4503", exc_info=True)
            await self.accept(subprotocol=subprotocol)
            await self.close(code=CLOSE_LAYER_UNAVAILABLE)
            return
        await self.accept(subprotocol=subprotocol)
        self.is_open = True
        session_watch.watch(self, credential=token_id, current=oauth_tokens_current)  # closes 4001
        if error:
            await self.send_json({"error": error})

    async def _join(self, groups: set[str]) -> None:
        for group in groups - self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.add(group)

    async def _subscribe(self, stream: str, tag: str | None) -> str | None:
        """Subscribes and joins the stream's groups; the error to send the client, if any."""
        session = self.session
        if stream not in STREAMS:
            return f"Unknown stream type: {stream[:40]}"
        if stream.startswith("hashtag") and not tag:
            return "A hashtag stream needs a tag."
        if not session.allowed(stream):
            return "This stream is outside the authorized scopes"
        tag = tag if stream.startswith("hashtag") else None
        if session.subscribed(stream, tag) is None:
            session.subscriptions.append(Subscription(stream=stream, tag=tag))
        await self._join(set(await session.groups_for(stream, tag)))
        return None

    async def receive_subscribe(self, fields: dict[str, Any]) -> None:
        error = await self._subscribe(fields["stream"], fields.get("tag"))
        if error:
            await self.send_json({"error": error})

    async def receive_unsubscribe(self, fields: dict[str, Any]) -> None:
        sub = self.session.subscribed(fields["stream"], fields.get("tag"))
        if sub is not None:
            self.session.subscriptions.remove(sub)
        # Groups stay joined (others may share them); frames are only sent for subscriptions.

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"error": message})

    async def disconnect(self, code: int) -> None:
        for group in list(getattr(self, "joined", ())):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # Redis down: the entry expires on its own
                logger.info("could not leave %s on disconnect", group, exc_info=True)
        self.joined = set()

    async def _forward(self, message: dict[str, Any]) -> None:
        if not self.is_open or self.session is None:
            return
        for stream, event, payload in await self.session.frames_for(message):
            await self.send(text_data=json.dumps({"stream": stream, "event": event, "payload": payload}))

    async def notification_push(self, message: dict[str, Any]) -> None:
        await self._forward(message)

    async def status_event(self, message: dict[str, Any]) -> None:
        await self._forward(message)

    async def session_revoked(self, message: dict[str, Any]) -> None:
        if self.is_open:
            await self.close(code=CLOSE_SESSION_REVOKED)
