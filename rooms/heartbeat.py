"""This process's heartbeat for its open room sockets.

Every ``ROOM_HEARTBEAT_SECONDS`` one task per event loop refreshes ``seen_at`` on the connection
rows of all the room sockets this process holds, in one statement. A row not refreshed for
``ROOM_CONNECTION_STALE_SECONDS`` belongs to a socket whose server is gone (killed, frozen, cut
off from the database): the presence sweep (``rooms.services.presence_sweep``, Celery beat every
``ROOM_PRESENCE_SWEEP_SECONDS``) removes it, and its participant leaves once the grace period,
counted from the last heartbeat, is over. With eager tasks (no Celery worker: the embedded
defaults) the same task also runs the sweep in this process, and, on Janus, the media check
(``rooms.media.service.media_check``).

The task runs only while this loop has room sockets, and stops with the last one.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Protocol

from django.conf import settings

from twitterclone.socket_threads import socket_database_sync_to_async

from . import services

logger = logging.getLogger("twitterclone.rooms")


class RoomSocket(Protocol):
    """What the heartbeat needs of a room consumer."""

    channel_name: str

    async def presence_lapsed(self) -> None: ...


class _Heartbeat:
    def __init__(self) -> None:
        self.consumers: dict[str, RoomSocket] = {}
        self.task: asyncio.Task | None = None
        self.last_sweep = time.monotonic()

    def add(self, consumer: RoomSocket) -> None:
        self.consumers[consumer.channel_name] = consumer
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run(), name="rooms-heartbeat")

    def discard(self, consumer: RoomSocket) -> None:
        if self.consumers.get(consumer.channel_name) is consumer:
            del self.consumers[consumer.channel_name]
        if not self.consumers and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        while self.consumers:
            await asyncio.sleep(float(settings.ROOM_HEARTBEAT_SECONDS))
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is down: try again at the next beat
                logger.warning("room heartbeat failed", exc_info=True)

    async def beat(self) -> None:
        channel_names = list(self.consumers)
        if channel_names:
            gone = await socket_database_sync_to_async(services.connections_heartbeat)(channel_names=channel_names)
            for channel_name in gone:
                consumer = self.consumers.get(channel_name)
                if consumer is not None:
                    await consumer.presence_lapsed()
        if (
            not services.checks_run_in_celery()
            and time.monotonic() - self.last_sweep >= settings.ROOM_PRESENCE_SWEEP_SECONDS
        ):
            self.last_sweep = time.monotonic()
            await socket_database_sync_to_async(services.presence_sweep)()
            from .media.backend import janus_enabled

            if janus_enabled():  # the media check too (rooms.tasks.media_check under beat)
                from .media.service import media_check_quietly

                await socket_database_sync_to_async(media_check_quietly)()


_heartbeats: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Heartbeat] = weakref.WeakKeyDictionary()


def _for_this_loop() -> _Heartbeat:
    loop = asyncio.get_running_loop()
    heartbeat = _heartbeats.get(loop)
    if heartbeat is None:
        heartbeat = _heartbeats[loop] = _Heartbeat()
    return heartbeat


def register(consumer: RoomSocket) -> None:
    """Keeps the consumer's connection row fresh while it is open."""
    _for_this_loop().add(consumer)


def unregister(consumer: RoomSocket) -> None:
    _for_this_loop().discard(consumer)
