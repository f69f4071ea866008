"""WebSocket plumbing shared by the notification and room sockets.

Authentication: the JWT access token comes either as ``?token=<access>`` or as the
subprotocol pair ``Sec-WebSocket-Protocol: bearer, <access>``. The middleware only
resolves the user; consumers accept the socket and close it with 4401 when the user
is anonymous, so clients see the contract's close codes.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from typing import Any, ClassVar
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.security.websocket import OriginValidator
from channels.utils import await_many_dispatch
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache

from . import session_watch
from .socket_threads import socket_database_sync_to_async
from .ws_frames import FrameError, FrameTypes, TokenBucket, decode_frame, validate_frame

logger = logging.getLogger("twitterclone.ws")

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
# The channel layer (Redis) is unavailable: reconnect later and catch up over REST.
CLOSE_LAYER_UNAVAILABLE = 4503
# The account was suspended or logged out everywhere.
CLOSE_SESSION_REVOKED = 4001
# The client kept sending frames over the rate limit (WEBSOCKET_FRAME_*).
CLOSE_RATE_LIMITED = 4429
CLOSE_ABNORMAL = 1006  # the socket ended without a close frame
# The consumer failed while opening the socket. Not 1011: daphne (autobahn) refuses to send any
# code but 1000 and 3000-4999, and raised in its own close instead ("invalid close code").
CLOSE_INTERNAL_ERROR = 4500

# Internal messages: the channel layer failed under the consumer; a client frame was refused.
LAYER_UNAVAILABLE = {"type": "layer.unavailable"}
RATE_LIMITED = {"type": "client.rate_limited"}


def token_from_scope(scope: dict) -> tuple[str | None, bool]:
    """Returns (token, came_from_subprotocol)."""
    subprotocols = scope.get("subprotocols") or []
    if len(subprotocols) >= 2 and subprotocols[0].lower() == "bearer":
        return subprotocols[1], True
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    tokens = query.get("token")
    if tokens:
        return tokens[0], False
    return None, False


@socket_database_sync_to_async
def session_for_access_token(raw_token: str) -> tuple[Any, dict[str, Any] | None]:
    """The user of a valid, current access token (``accounts.authentication.user_for_access_token``)
    and the token's claims, else (AnonymousUser, None): a revoked token opens no socket. The
    claims stay in the scope, so the socket's session can be checked again on its heartbeat
    (``twitterclone.session_watch``)."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts import authentication

    user = authentication.user_for_access_token(raw_token)
    if user is None:
        return AnonymousUser(), None
    return user, dict(AccessToken(raw_token).payload)


class JwtAuthMiddleware:
    """Channels middleware that puts the token's user in ``scope['user']`` and its claims in
    ``scope['token_claims']``."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        token, via_subprotocol = token_from_scope(scope)
        user, claims = await session_for_access_token(token) if token else (AnonymousUser(), None)
        scope = dict(scope, user=user, token_claims=claims, auth_subprotocol="bearer" if via_subprotocol else None)
        return await self.inner(scope, receive, send)


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """The last WebSocket route: a path no consumer serves (``/ws/nope/``, ``/ws/rooms/abc/``) is
    accepted and closed with 4404. Without it Channels' router raised "No route found", daphne
    logged the traceback and the handshake failed with a 500."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)


class _OriginValidator(OriginValidator):
    # Channels' validator refuses a missing Origin unless "*" is allowed; we let such clients in.
    def valid_origin(self, parsed_origin) -> bool:
        return parsed_origin is None or super().valid_origin(parsed_origin)


def websocket_origin_validator(application):
    """Browsers send Origin; it must be one of ALLOWED_HOSTS or WEBSOCKET_ALLOWED_ORIGINS.
    Clients that send no Origin (native apps, servers) are let through: they carry a token."""
    allowed = list(settings.ALLOWED_HOSTS) + list(settings.WEBSOCKET_ALLOWED_ORIGINS)
    if settings.DEBUG:
        allowed += ["localhost", "127.0.0.1", "[::1]"]
    return _OriginValidator(application, allowed)


class JsonSocketConsumer(AsyncWebsocketConsumer):
    """Base consumer: authenticates, echoes the ``bearer`` subprotocol, and owns the socket's life.

    - Every client frame passes one gate: the per-socket rate limit as frames arrive
      (``_gate_client_frames``; a token bucket:
      ``WEBSOCKET_FRAME_BURST``, then ``WEBSOCKET_FRAME_RATE_PER_SECOND``; over it an ``error``
      ``rate_limited``, and after ``WEBSOCKET_FLOOD_CLOSE_AFTER`` refused frames in a row a close
      with 4429, and ``WEBSOCKET_FLOOD_COOLDOWN_SECONDS`` during which that user's new sockets
      are closed with 4429 at once); then, in ``receive``, decoding and validation against ``frame_types``
      (``twitterclone.ws_frames``). ``ping`` is answered with ``pong``. A clean frame goes to
      ``receive_<type>(fields)``; a malformed one gets an ``error`` frame; an unexpected exception
      in a handler is logged and answered with ``error`` ``internal_error``. The socket stays open.
    - ``disconnect()`` runs exactly once however the consumer ends: a close from either side, a
      crash, a cancelled task. A failing channel layer becomes ``layer_unavailable`` (close 4503).
    - Channel-layer events without a handler are ignored: the user group carries events for
      several kinds of sockets.
    - Unlike Channels' base class, no database call is made per message (Channels closes stale
      connections on the process's shared thread before every handler); the consumers' database
      work runs on ``twitterclone.socket_threads``.
    """

    frame_types: ClassVar[FrameTypes] = {}
    is_open = False  # accepted and not yet closed by us
    _disconnected = False

    async def __call__(self, scope, receive, send) -> None:
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        self._client_messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        gate = asyncio.get_running_loop().create_task(self._gate_client_frames(receive))
        sources = [self._client_messages.get]
        try:
            if self.channel_layer is not None:
                self.channel_name = await self.channel_layer.new_channel()
                self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
                self._layer_failed = False
                sources.append(self._guarded_channel_receive)
            await await_many_dispatch(sources, self.dispatch)
        except StopConsumer:
            pass
        finally:
            gate.cancel()
            await self._disconnect_once(CLOSE_ABNORMAL)

    async def _gate_client_frames(self, receive) -> None:
        """Reads the client's messages as they arrive and applies the frame rate limit there,
        not when the consumer gets round to them: a flood is refused (and closed) at the speed it
        comes in, and never queues up behind the frames being handled."""
        bucket = TokenBucket(settings.WEBSOCKET_FRAME_BURST, settings.WEBSOCKET_FRAME_RATE_PER_SECOND)
        refused_in_a_row = 0
        while True:
            message = await receive()
            if message["type"] == "websocket.receive":
                if not self.is_open:
                    continue  # frames still arriving after we closed
                if bucket.take():
                    refused_in_a_row = 0
                else:
                    refused_in_a_row += 1
                    if refused_in_a_row > settings.WEBSOCKET_FLOOD_CLOSE_AFTER:
                        logger.warning("%s kept flooding: closing it with %s", type(self).__name__, CLOSE_RATE_LIMITED)
                        await self.close(code=CLOSE_RATE_LIMITED)
                        await self._start_flood_cooldown()
                        continue
                    message = RATE_LIMITED
            await self._client_messages.put(message)
            if message["type"] == "websocket.disconnect":
                return

    async def _guarded_channel_receive(self) -> dict[str, Any]:
        if self._layer_failed:
            await asyncio.Event().wait()  # report once, then stay quiet until the socket closes
        try:
            return await self.channel_receive()
        except Exception:
            self._layer_failed = True
            logger.warning("channel layer failed under an open socket", exc_info=True)
            return LAYER_UNAVAILABLE

    async def dispatch(self, message: dict[str, Any]) -> None:
        try:
            handler = getattr(self, get_handler_name(message), None)
            if handler is not None:
                await handler(message)
        except StopConsumer:
            raise
        except Exception:
            logger.exception("%s failed on %r", type(self).__name__, message.get("type"))
            if message.get("type") == "websocket.connect":
                await self.close(code=CLOSE_INTERNAL_ERROR)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        if await self._in_flood_cooldown():
            await self.accept(subprotocol=self.scope.get("auth_subprotocol"))
            await self.close(code=CLOSE_RATE_LIMITED)
            return
        await super().websocket_connect(message)

    def _flood_cooldown_key(self) -> str | None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return None
        return f"ws-flood-cooldown:{user.pk}"

    async def _in_flood_cooldown(self) -> bool:
        """A user whose socket was closed for flooding may not open sockets for
        ``WEBSOCKET_FLOOD_COOLDOWN_SECONDS`` (each process shares it through the cache): a client
        that reconnects and floods again costs the server a refused handshake, not a flood."""
        key = self._flood_cooldown_key()
        if key is None or settings.WEBSOCKET_FLOOD_COOLDOWN_SECONDS <= 0:
            return False
        try:
            return bool(await socket_database_sync_to_async(cache.get)(key))
        except Exception:  # the cache (Redis) is down: let the socket in
            logger.info("flood cooldown check failed", exc_info=True)
            return False

    async def _start_flood_cooldown(self) -> None:
        key = self._flood_cooldown_key()
        if key is None or settings.WEBSOCKET_FLOOD_COOLDOWN_SECONDS <= 0:
            return
        try:
            await socket_database_sync_to_async(cache.set)(key, 1, settings.WEBSOCKET_FLOOD_COOLDOWN_SECONDS)
        except Exception:
            logger.info("could not record a flood cooldown", exc_info=True)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        await self._disconnect_once(message.get("code", CLOSE_ABNORMAL))
        raise StopConsumer()

    async def _disconnect_once(self, code: int) -> None:
        if self._disconnected:
            return
        self._disconnected = True
        self.is_open = False
        session_watch.unwatch(self)
        try:
            await self.disconnect(code)
        except Exception:
            logger.exception("%s failed to clean up on disconnect", type(self).__name__)

    async def accept_authenticated(self) -> bool:
        """Accepts the socket; closes it with 4401 and returns False when unauthenticated."""
        user = self.scope.get("user")
        await self.accept(subprotocol=self.scope.get("auth_subprotocol"))
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return False
        self.is_open = True
        session_watch.watch(self)
        return True

    async def session_lapsed(self) -> None:
        """The session watch found this socket's access token revoked (the ``session.revoked``
        push may have been lost): closed as the push would have, with 4001."""
        if self.is_open:
            logger.info("%s: session revoked, found on the heartbeat; closing with 4001", type(self).__name__)
            await self.close(code=CLOSE_SESSION_REVOKED)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.is_open = False
        session_watch.unwatch(self)
        await super().close(code=code, reason=reason)

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, default=str))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def layer_unavailable(self, event: dict[str, Any]) -> None:
        if self.is_open:
            await self.close(code=CLOSE_LAYER_UNAVAILABLE)

    # --- client frames -------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.is_open:
            return  # frames still queued after we closed
        try:
            content = decode_frame(text_data, bytes_data, settings.WEBSOCKET_MAX_FRAME_BYTES)
            if content is None:
                return
            if content["type"] == "ping":
                await self.send_json({"type": "pong"})
                return
            message_type, fields = validate_frame(content, self.frame_types)
            await getattr(self, f"receive_{message_type}")(fields)
        except FrameError as exc:
            await self.send_error(exc.code, exc.message)
        except Exception:
            logger.exception("%s failed on a client frame", type(self).__name__)
            await self.send_error("internal_error", "The server failed to handle this frame.")

    async def client_rate_limited(self, message: dict[str, Any]) -> None:
        if self.is_open:
            await self.send_error(
                "rate_limited",
                f"Too many frames: at most {settings.WEBSOCKET_FRAME_BURST} at once and "
                f"{settings.WEBSOCKET_FRAME_RATE_PER_SECOND:g} a second; one was dropped.",
            )
