"""``/ws/notifications/``: pushes each new notification to every open socket of its recipient.

Frames sent: ``{"type": "notification", "notification": {...}}`` (the REST list's item shape),
``{"type": "pong"}`` for a client's ``{"type": "ping"}``, and ``{"type": "error", "code", "message"}``
for anything malformed (the socket stays open). Close codes: 4401 no or bad token, 4503 the
channel layer (Redis) is unavailable, 4001 the session was revoked (account suspended).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from channels.exceptions import StopConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch

from twitterclone.broadcast import user_group_name
from twitterclone.ws import CLOSE_LAYER_UNAVAILABLE, CLOSE_SESSION_REVOKED, JsonSocketConsumer

logger = logging.getLogger("twitterclone.notifications")

# Internal message the consumer sends itself when the channel layer fails under it.
LAYER_UNAVAILABLE = {"type": "layer.unavailable"}


class NotificationConsumer(JsonSocketConsumer):
    group_name: str | None = None
    is_open = False  # accepted and not yet closed by us

    async def __call__(self, scope, receive, send) -> None:
        """Channels' ``AsyncConsumer.__call__``, except that a failure of the channel layer's
        ``receive`` (Redis went away while the socket is open) becomes a ``layer.unavailable``
        message, handled by closing the socket with 4503, instead of crashing the consumer."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        sources = [receive]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
            self._layer_failed = False
            sources.append(self._guarded_channel_receive)
        try:
            await await_many_dispatch(sources, self.dispatch)
        except StopConsumer:
            pass

    async def _guarded_channel_receive(self) -> dict[str, Any]:
        if self._layer_failed:
            await asyncio.Event().wait()  # report once, then stay quiet until the socket closes
        try:
            return await self.channel_receive()
        except Exception:
            self._layer_failed = True
            logger.warning("channel layer failed under an open notification socket", exc_info=True)
            return LAYER_UNAVAILABLE

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept_authenticated()  # accepts, then closes with 4401
            return
        # Join the group before accepting, so a client that sees the socket open gets every
        # notification created from then on.
        group = user_group_name(user.id)
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception:
            logger.warning("channel layer unavailable; closing notification socket with 4503", exc_info=True)
            await self.accept(subprotocol=self.scope.get("auth_subprotocol"))
            await self.close(code=CLOSE_LAYER_UNAVAILABLE)
            return
        self.group_name = group
        self.is_open = await self.accept_authenticated()

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.is_open = False
        await super().close(code=code, reason=reason)

    async def disconnect(self, code: int) -> None:
        if self.group_name is None:
            return
        group, self.group_name = self.group_name, None
        try:
            await self.channel_layer.group_discard(group, self.channel_name)
        except Exception:  # Redis down: the group entry expires on its own
            logger.info("could not leave %s on disconnect", group, exc_info=True)

    async def notification_push(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "notification", "notification": event["notification"]})

    async def session_revoked(self, event: dict[str, Any]) -> None:
        if self.is_open:
            await self.close(code=CLOSE_SESSION_REVOKED)

    async def layer_unavailable(self, event: dict[str, Any]) -> None:
        # Before the socket is open, connect() finds the layer down itself and answers 4503.
        if self.is_open:
            await self.close(code=CLOSE_LAYER_UNAVAILABLE)
