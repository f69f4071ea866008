"""Sending events to WebSocket groups after the current transaction commits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger("twitterclone.broadcast")


def user_group_name(user_id: int) -> str:
    """The channel-layer group that holds every socket of one user (all their devices)."""
    return f"user.{user_id}"


def run_bounded(send: Callable[[], Awaitable[None]], *, timeout: float | None = None) -> None:
    """Runs channel-layer sends from sync code, for at most ``timeout`` seconds
    (CHANNEL_LAYER_SEND_TIMEOUT_SECONDS by default). A hung Redis must not hold a request for the
    layer's long read timeout (kept long for idle sockets): a push slower than this is dropped,
    and clients catch up over REST. Raises on timeout or layer errors."""
    limit = settings.CHANNEL_LAYER_SEND_TIMEOUT_SECONDS if timeout is None else timeout

    async def bounded() -> None:
        await asyncio.wait_for(send(), timeout=limit)

    async_to_sync(bounded)()


def group_send_now(group: str, message: dict[str, Any]) -> bool:
    """Send to a group at once. Returns False (and logs) when the channel layer is unavailable or
    too slow: the event is lost for live sockets, but stored state lets clients catch up over REST."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        run_bounded(lambda: layer.group_send(group, message))
    except Exception:
        logger.warning("channel layer unavailable; event to %s not pushed", group, exc_info=True)
        return False
    return True


def group_send_on_commit(group: str, message: dict[str, Any]) -> None:
    """Send to a group once the surrounding transaction commits; nothing if it rolls back."""
    transaction.on_commit(lambda: group_send_now(group, message))
