"""Channel-layer sends from sync code: one long-lived loop per process (per PID after a fork),
shared by every thread, bounded in time, and no new Redis connection per send."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from channels.layers import channel_layers

from tests.services import private_redis
from twitterclone import broadcast


@pytest.fixture
def redis_layer(settings):
    """The configured channels-redis layer, under a prefix of this test's own."""
    prefix = f"bc{uuid.uuid4().hex[:8]}"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": settings.REDIS_URL, "socket_timeout": 15}],
                "prefix": prefix,
                "capacity": 1000,
            },
        }
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def receive(channel: str, timeout: float = 5.0) -> dict:
    async def get() -> dict:
        return await asyncio.wait_for(broadcast.sync_channel_layer().receive(channel), timeout)

    return broadcast.run_bounded(get, timeout=timeout)


@pytest.mark.redis
def test_every_send_from_every_thread_runs_on_one_loop(redis_layer):
    seen = []

    async def where() -> None:
        seen.append((asyncio.get_running_loop(), threading.current_thread().name))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: broadcast.run_bounded(where, timeout=5), range(40)))
    broadcast.run_bounded(where, timeout=5)
    loops = {id(loop) for loop, _ in seen}
    assert len(loops) == 1 and len(seen) == 41
    assert {name for _, name in seen} == {f"channel-layer-loop-{os.getpid()}"}


@pytest.mark.redis
def test_a_send_is_bounded_by_the_timeout(redis_layer):
    async def slow() -> None:
        await asyncio.sleep(10)

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        broadcast.run_bounded(slow, timeout=0.2)
    assert time.monotonic() - started < 1.5


@pytest.mark.redis
def test_a_forked_child_gets_a_loop_of_its_own(redis_layer):
    async def loop_id() -> int:
        return id(asyncio.get_running_loop())

    parent_loop = broadcast.send_loop()
    broadcast.run_bounded(loop_id, timeout=5)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's loop thread does not run here
        try:
            ok = broadcast.send_loop() is not parent_loop and broadcast.run_bounded(loop_id, timeout=5) != id(
                parent_loop
            )
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1" and status == 0
    assert broadcast.send_loop() is parent_loop


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_sends_reuse_the_loops_redis_connections(settings, tmp_path):
    """Two hundred group sends from eight threads, on a private redis-server (so that Redis's
    count of connections received is ours alone): the sends arrive, and Redis received a handful
    of connections (the loop's pool), not one per send as with an event loop per send."""
    with private_redis(tmp_path / "redis") as server:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [{"address": server.url, "socket_timeout": 15}], "capacity": 1000},
            }
        }
        channel_layers.backends.clear()
        stats = redis.Redis(port=server.port)
        channel = f"specific.{uuid.uuid4().hex}"

        async def join() -> None:
            await broadcast.sync_channel_layer().group_add("bench.group", channel)

        try:
            broadcast.run_bounded(join, timeout=5)
            before = stats.info("stats")["total_connections_received"]
            with ThreadPoolExecutor(8) as pool:
                sent = sum(
                    pool.map(lambda i: broadcast.group_send_many([("bench.group", {"type": "x", "i": i})]), range(200))
                )
            opened = stats.info("stats")["total_connections_received"] - before - 1  # -1: this INFO
            assert sent == 200
            assert opened <= 10, f"{opened} new Redis connections for 200 sends"
            assert {receive(channel)["i"] for _ in range(200)} == set(range(200))
        finally:
            channel_layers.backends.clear()


@pytest.mark.redis
def test_the_loops_layer_is_not_the_one_consumers_share(redis_layer):
    """Consumers' code closes the pools of the shared layer instance from its own loops; the
    sync path's connections must not be among them."""
    from channels.layers import get_channel_layer

    assert broadcast.sync_channel_layer() is not get_channel_layer()
    assert broadcast.sync_channel_layer() is broadcast.sync_channel_layer()
