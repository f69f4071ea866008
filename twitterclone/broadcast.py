"""Channel-layer sends from synchronous code (HTTP worker threads, Celery tasks), bounded in time.

Services never call these directly: they go through ``twitterclone.effects``, which sends only
after commit. This module is the one path from sync code to the channel layer:

- One long-lived event loop per process, on a daemon thread, owns its own instance of the
  channel layer and so its connections (channels-redis keeps one connection pool per event
  loop; an instance of its own keeps the consumers' code, which closes the pools of the
  shared instance, away from the loop's connections). Every send from any
  thread is submitted to it with ``asyncio.run_coroutine_threadsafe`` and awaited for at most
  ``CHANNEL_LAYER_SEND_TIMEOUT_SECONDS``: no event loop and no Redis connection is created per
  send, and threads (gunicorn gthread, Celery threads) share it safely.
- The loop is created lazily, per process id: a forked worker (gunicorn, Celery prefork) starts
  its own loop on its first send instead of using the parent's, which does not run in the child.
- The in-memory channel layer (embedded defaults, tests) lives on the event loop of the one
  server process and is not thread-safe, so sends to it keep using ``async_to_sync`` (which, in a
  request thread of that server, runs on the server's own loop).

A send that fails or takes too long raises; callers (``twitterclone.effects``) log it and go on:
live pushes are best-effort, clients catch up over REST.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import TimeoutError as FutureTimeoutError
from typing import Any, TypeVar

from asgiref.sync import async_to_sync
from channels import layers
from django.conf import settings

T = TypeVar("T")

# Channel-layer sends in flight at once when sending a batch.
SEND_CONCURRENCY = 50
# Extra time a batch may take per message, beyond CHANNEL_LAYER_SEND_TIMEOUT_SECONDS.
SECONDS_PER_MESSAGE = 0.01


def user_group_name(user_id: int) -> str:
    """The channel-layer group that holds every socket of one user (all their devices)."""
    return f"user.{user_id}"


class _LoopThread:
    """An event loop running forever on a daemon thread of one process, with the channel-layer
    instance used on it."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.layer: tuple[Any, Any] | None = None  # (the configured layer it copies, its own)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name=f"channel-layer-loop-{self.pid}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()


_loop_thread: _LoopThread | None = None
_loop_lock = threading.Lock()


def _forget_loop_in_child() -> None:
    # The parent's loop thread does not exist in a forked child; a new one is made on first use.
    global _loop_thread, _loop_lock
    _loop_thread = None
    _loop_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_loop_in_child)


def _current_loop_thread() -> _LoopThread:
    global _loop_thread
    current = _loop_thread
    if current is None or current.pid != os.getpid():
        with _loop_lock:
            current = _loop_thread
            if current is None or current.pid != os.getpid():
                current = _loop_thread = _LoopThread()
    return current


def send_loop() -> asyncio.AbstractEventLoop:
    """This process's channel-layer event loop, started on first use (per process id)."""
    return _current_loop_thread().loop


def sync_channel_layer() -> Any:
    """The channel layer that sync code sends through: None without one; the configured one
    when it lives in this process (in-memory) or is not a real layer (a test's stand-in);
    else this process's loop thread's own instance of it, made on first use."""
    configured = layers.get_channel_layer()
    if configured is None or isinstance(configured, layers.InMemoryChannelLayer):
        return configured
    if not isinstance(configured, layers.BaseChannelLayer):
        return configured
    current = _current_loop_thread()
    with _loop_lock:
        if current.layer is None or current.layer[0] is not configured:
            current.layer = (configured, layers.channel_layers.make_backend(layers.DEFAULT_CHANNEL_LAYER))
        return current.layer[1]


def run_bounded(send: Callable[[], Awaitable[T]], *, timeout: float | None = None) -> T:
    """Runs a coroutine function against the channel layer from sync code, for at most
    ``timeout`` seconds (CHANNEL_LAYER_SEND_TIMEOUT_SECONDS by default), on this process's
    channel-layer loop (see the module docstring). Raises ``TimeoutError`` when it takes longer
    (the send is cancelled) and whatever the layer raises. Must not be called from a running
    event loop (use the layer's coroutines there)."""
    limit = settings.CHANNEL_LAYER_SEND_TIMEOUT_SECONDS if timeout is None else timeout

    async def bounded() -> T:
        return await asyncio.wait_for(send(), timeout=limit)

    if isinstance(layers.get_channel_layer(), layers.InMemoryChannelLayer):
        return async_to_sync(bounded)()  # the server's own loop holds the in-memory layer
    loop = send_loop()
    future = asyncio.run_coroutine_threadsafe(bounded(), loop)
    try:
        # wait_for on the loop enforces the bound; this margin only covers a loop that is stuck.
        return future.result(timeout=limit + 1)
    except FutureTimeoutError:
        future.cancel()
        raise TimeoutError(f"channel-layer send took over {limit} s") from None


def group_send_many(messages: list[tuple[str, dict[str, Any]]]) -> int:
    """Sends each (group, message) pair, concurrently in chunks of ``SEND_CONCURRENCY``, within
    CHANNEL_LAYER_SEND_TIMEOUT_SECONDS plus ``SECONDS_PER_MESSAGE`` per message. Returns how many
    were sent (0 without a channel layer); raises on layer errors and timeouts."""
    layer = sync_channel_layer()
    if layer is None or not messages:
        return 0

    async def send_all() -> None:
        for start in range(0, len(messages), SEND_CONCURRENCY):
            chunk = messages[start : start + SEND_CONCURRENCY]
            await asyncio.gather(*(layer.group_send(group, message) for group, message in chunk))

    run_bounded(send_all, timeout=settings.CHANNEL_LAYER_SEND_TIMEOUT_SECONDS + len(messages) * SECONDS_PER_MESSAGE)
    return len(messages)


def channel_send_many(channel_names: list[str], message: dict[str, Any]) -> int:
    """Sends one message to each of these channels (single sockets), bounded like
    ``group_send_many``. Returns how many were sent; raises on layer errors and timeouts."""
    layer = sync_channel_layer()
    if layer is None or not channel_names:
        return 0

    async def send_all() -> None:
        await asyncio.gather(*(layer.send(channel_name, message) for channel_name in channel_names))

    run_bounded(
        send_all, timeout=settings.CHANNEL_LAYER_SEND_TIMEOUT_SECONDS + len(channel_names) * SECONDS_PER_MESSAGE
    )
    return len(channel_names)
