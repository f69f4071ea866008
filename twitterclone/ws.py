"""WebSocket plumbing shared by the notification and room sockets.

Authentication: the JWT access token comes either as ``?token=<access>`` or as the
subprotocol pair ``Sec-WebSocket-Protocol: bearer, <access>``. The middleware only
resolves the user; consumers accept the socket and close it with 4401 when the user
is anonymous, so clients see the contract's close codes.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

logger = logging.getLogger("twitterclone.ws")

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
# The channel layer (Redis) is unavailable: reconnect later and catch up over REST.
CLOSE_LAYER_UNAVAILABLE = 4503
# The account was suspended or logged out everywhere.
CLOSE_SESSION_REVOKED = 4001


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


@database_sync_to_async
def user_for_access_token(raw_token: str):
    from rest_framework_simplejwt.exceptions import TokenError
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.auth import user_can_authenticate
    from accounts.models import User

    try:
        token = AccessToken(raw_token)
        user = User.objects.get(pk=token["user_id"])
    except (TokenError, KeyError, ValueError, TypeError, User.DoesNotExist):
        return AnonymousUser()
    return user if user_can_authenticate(user) else AnonymousUser()


class JwtAuthMiddleware:
    """Channels middleware that puts the token's user in ``scope['user']``."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        token, via_subprotocol = token_from_scope(scope)
        user = await user_for_access_token(token) if token else AnonymousUser()
        scope = dict(scope, user=user, auth_subprotocol="bearer" if via_subprotocol else None)
        return await self.inner(scope, receive, send)


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
    """Base consumer: authenticates, echoes the ``bearer`` subprotocol, caps frame size,
    answers ``ping`` with ``pong`` and malformed frames with an ``error`` frame."""

    async def accept_authenticated(self) -> bool:
        """Accepts the socket; closes it with 4401 and returns False when unauthenticated."""
        user = self.scope.get("user")
        await self.accept(subprotocol=self.scope.get("auth_subprotocol"))
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return False
        return True

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, default=str))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        raw = text_data if text_data is not None else bytes_data
        if raw is None:
            return
        if len(raw) > settings.WEBSOCKET_MAX_FRAME_BYTES:
            await self.send_error(
                "frame_too_large", f"Frames are limited to {settings.WEBSOCKET_MAX_FRAME_BYTES} bytes."
            )
            return
        try:
            content = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            await self.send_error("malformed", "Frames must be JSON objects.")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("malformed", "Frames must be JSON objects with a string 'type'.")
            return
        if content["type"] == "ping":
            await self.send_json({"type": "pong"})
            return
        await self.receive_message(content)

    async def receive_message(self, content: dict[str, Any]) -> None:
        await self.send_error("unknown_type", f"Unknown message type {content['type']!r}.")
