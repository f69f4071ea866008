"""Every open socket's session is re-checked on a heartbeat, so a lost ``session.revoked`` push
cannot leave a socket of a revoked session open until the client reconnects.

The push (``accounts.sessions.sessions_revoke`` sends ``session.revoked`` to the user's group
after commit) closes a user's sockets at once; but it is best-effort: the channel layer may be
down at that instant, or the message lost with a server process. So every
``WEBSOCKET_SESSION_CHECK_SECONDS`` one task per event loop checks the access tokens that opened
this loop's sockets against the token version and family revocation
(``accounts.sessions.access_tokens_current``: one cache round trip for all of them), and closes
those no longer current with 4001, the push path's close code. A socket whose session was logged
out (its token family revoked) closes this way too. The task runs only while the loop has
sockets to watch, and stops with the last one.

Sockets opened with a JWT access token are watched (``scope["token_claims"]``, set by
``twitterclone.ws.JwtAuthMiddleware``); Mastodon OAuth sockets are not (their tokens are rows,
deleted by ``sessions_revoke``; the push path closes them).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any, Protocol

from django.conf import settings

from .socket_threads import socket_database_sync_to_async

logger = logging.getLogger("twitterclone.ws")


class WatchedSocket(Protocol):
    """What the session watch needs of a consumer."""

    channel_name: str
    scope: dict[str, Any]

    async def session_lapsed(self) -> None: ...


class _SessionWatch:
    def __init__(self) -> None:
        self.sockets: dict[str, WatchedSocket] = {}
        self.task: asyncio.Task | None = None

    def add(self, socket: WatchedSocket) -> None:
        self.sockets[socket.channel_name] = socket
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run(), name="session-watch")

    def discard(self, socket: WatchedSocket) -> None:
        if self.sockets.get(socket.channel_name) is socket:
            del self.sockets[socket.channel_name]
        if not self.sockets and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        while self.sockets:
            await asyncio.sleep(float(settings.WEBSOCKET_SESSION_CHECK_SECONDS))
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:  # cache and database both down: try again at the next beat
                logger.warning("socket session check failed", exc_info=True)

    async def check(self) -> None:
        """Closes (4001) this loop's sockets whose access token is no longer current."""
        from accounts.sessions import access_tokens_current

        sockets = list(self.sockets.values())
        if not sockets:
            return
        current = await socket_database_sync_to_async(access_tokens_current)(
            [socket.scope["token_claims"] for socket in sockets]
        )
        for socket, ok in zip(sockets, current, strict=True):
            if not ok:
                await socket.session_lapsed()


_watches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _SessionWatch] = weakref.WeakKeyDictionary()


def _for_this_loop() -> _SessionWatch:
    loop = asyncio.get_running_loop()
    watch = _watches.get(loop)
    if watch is None:
        watch = _watches[loop] = _SessionWatch()
    return watch


def watch(socket: WatchedSocket) -> None:
    """Re-checks the socket's session on the heartbeat while it is open (a socket with no JWT
    claims in its scope is not watched)."""
    if socket.scope.get("token_claims"):
        _for_this_loop().add(socket)


def unwatch(socket: WatchedSocket) -> None:
    _for_this_loop().discard(socket)


async def check_now() -> None:
    """Runs this loop's check at once (tests; the heartbeat calls the same)."""
    await _for_this_loop().check()
