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

Two kinds of sockets are watched, each with its own batch check (one call for all the loop's
sockets of that kind): those opened with a JWT access token (``scope["token_claims"]``, set by
``twitterclone.ws.JwtAuthMiddleware``; ``accounts.sessions.access_tokens_current``), and the
Mastodon streaming connections, WebSocket and server-sent events, opened with an OAuth access
token (its row id; ``mastodon_api.tokens.oauth_tokens_current``: one query; a token deleted by
``sessions_revoke`` or a refresh, expired, or of a suspended or deactivated user is not current).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from django.conf import settings

from .socket_threads import socket_database_sync_to_async

logger = logging.getLogger("twitterclone.ws")


class WatchedSocket(Protocol):
    """What the session watch needs of a consumer."""

    channel_name: str
    scope: dict[str, Any]

    async def session_lapsed(self) -> None: ...


# Given the credentials of several sockets, whether each is still current (sync: runs in a
# socket database thread).
BatchCheck = Callable[[list[Any]], list[bool]]


class _Watched(NamedTuple):
    socket: WatchedSocket
    credential: Any
    current: BatchCheck


class _SessionWatch:
    def __init__(self) -> None:
        self.sockets: dict[str, _Watched] = {}
        self.task: asyncio.Task | None = None

    def add(self, socket: WatchedSocket, credential: Any, current: BatchCheck) -> None:
        self.sockets[socket.channel_name] = _Watched(socket, credential, current)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run(), name="session-watch")

    def discard(self, socket: WatchedSocket) -> None:
        watched = self.sockets.get(socket.channel_name)
        if watched is not None and watched.socket is socket:
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
        """Tells (``session_lapsed``) this loop's sockets whose credential is no longer current."""
        watched = list(self.sockets.values())
        if not watched:
            return
        lapsed = await socket_database_sync_to_async(_lapsed)(watched)
        for socket in lapsed:
            try:
                await socket.session_lapsed()
            except Exception:  # one socket that fails to close must not keep the others open
                logger.warning("could not close a lapsed socket", exc_info=True)


def _lapsed(watched: list[_Watched]) -> list[WatchedSocket]:
    """The sockets whose credential is no longer current: one batch check per kind. A kind whose
    check fails (its database or cache unreachable) is tried again at the next beat; the other
    kinds' lapsed sockets still close now."""
    by_check: dict[BatchCheck, list[_Watched]] = {}
    for item in watched:
        by_check.setdefault(item.current, []).append(item)
    lapsed = []
    for current, items in by_check.items():
        try:
            results = current([item.credential for item in items])
        except Exception:
            logger.warning("socket session check failed for %d sockets", len(items), exc_info=True)
            continue
        lapsed.extend(item.socket for item, ok in zip(items, results, strict=True) if not ok)
    return lapsed


_watches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _SessionWatch] = weakref.WeakKeyDictionary()


def _for_this_loop() -> _SessionWatch:
    loop = asyncio.get_running_loop()
    watch = _watches.get(loop)
    if watch is None:
        watch = _watches[loop] = _SessionWatch()
    return watch


def watch(socket: WatchedSocket, *, credential: Any = None, current: BatchCheck | None = None) -> None:
    """Re-checks the socket's session on the heartbeat while it is open. By default the
    credential is the JWT claims in its scope (a socket without them is not watched), checked by
    ``accounts.sessions.access_tokens_current``; other sockets pass their own credential and
    batch check (``current``)."""
    if current is None:
        from accounts.sessions import access_tokens_current

        credential, current = socket.scope.get("token_claims"), access_tokens_current
    if credential:
        _for_this_loop().add(socket, credential, current)


def unwatch(socket: WatchedSocket) -> None:
    _for_this_loop().discard(socket)


async def check_now() -> None:
    """Runs this loop's check at once (tests; the heartbeat calls the same)."""
    await _for_this_loop().check()
