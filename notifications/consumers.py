"""``/ws/notifications/``: pushes each new notification to every open socket of its recipient.

Frames sent: ``{"type": "notification", "notification": {...}}`` (the REST list's item shape),
``{"type": "pong"}`` for a client's ``{"type": "ping"}``, and ``{"type": "error", "code", "message"}``
for anything malformed or over the frame rate limit (the socket stays open). Close codes: 4401 no
or bad token, 4503 the channel layer (Redis) is unavailable, 4001 the session was revoked (account
suspended), 4429 the client kept sending frames over the rate limit. The frame gate, the rate
limit and the clean-up are the base class's (``twitterclone.ws.JsonSocketConsumer``).
"""

from __future__ import annotations

import logging
from typing import Any

from twitterclone.broadcast import user_group_name
from twitterclone.ws import CLOSE_LAYER_UNAVAILABLE, CLOSE_SESSION_REVOKED, JsonSocketConsumer

logger = logging.getLogger("twitterclone.notifications")


class NotificationConsumer(JsonSocketConsumer):
    group_name: str | None = None

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
        await self.accept_authenticated()

    async def disconnect(self, code: int) -> None:
        if self.group_name is None:
            return
        group, self.group_name = self.group_name, None
        try:
            await self.channel_layer.group_discard(group, self.channel_name)
        except Exception:  # Redis down: the group entry expires on its own
            logger.info("could not leave %s on disconnect", group, exc_info=True)

    async def notification_push(self, event: dict[str, Any]) -> None:
        if not self.is_open:  # closed by us (e.g. session revoked): nothing more for this socket
            return
        await self.send_json({"type": "notification", "notification": event["notification"]})

    async def session_revoked(self, event: dict[str, Any]) -> None:
        if self.is_open:
            await self.close(code=CLOSE_SESSION_REVOKED)
