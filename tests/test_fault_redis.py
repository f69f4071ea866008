"""Redis stops while the server runs, then comes back.

A real daphne server and a real Celery worker run on the pytest PostgreSQL test database and on a
*private* redis-server (tests/services.py): the machine's shared Redis is never touched. While
Redis is down, REST keeps answering (the home timeline falls back to PostgreSQL, notifications are
still stored, ``/readyz`` says "degraded" with 200) without hanging, and open notification sockets close
with 4503. When Redis is back, without restarting anything, new sockets connect and receive pushes,
the lost home feed is rebuilt from PostgreSQL and fan-out to it works again.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid

import httpx
import pytest
import redis
import websockets

from accounts.models import User
from notifications.models import Notification
from tests.server import make_user as make_user_with_token
from tests.server import (
    next_notification,
    open_notification_socket,
    run_celery_worker,
    run_server,
    server_env,
    wait_until,
    ws_url,
)
from tests.services import private_redis

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
    pytest.mark.timeout(90),
]

# A request while Redis is down may wait for at most one connect timeout of a Redis client.
OUTAGE_REQUEST_BUDGET = 3.0


def make_user(username: str) -> tuple[User, dict[str, str]]:
    user, access = make_user_with_token(username)
    return user, {"Authorization": f"Bearer {access}"}


def timed(method, url: str, **kwargs) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = method(url, timeout=20, **kwargs)
    return response, time.monotonic() - started


async def open_socket(base: str, headers: dict[str, str]):
    return await open_notification_socket(base, headers["Authorization"].split()[1], timeout=10)


async def close_code(socket, timeout: float = 15) -> int:
    """Reads until the server closes the socket; returns its close code."""
    async with asyncio.timeout(timeout):
        try:
            while True:
                await socket.recv()
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else 1006


def test_redis_outage_degrades_rest_closes_sockets_4503_and_recovers_without_restart(tmp_path):
    prefix = f"rfault{uuid.uuid4().hex[:6]}"
    alice, alice_h = make_user("rf_alice")
    bob, bob_h = make_user("rf_bob")
    with private_redis(tmp_path / "redis") as rds:
        env = server_env(redis_url=rds.url, prefix=prefix, eager=False, rate_limits=True, DB_CONN_MAX_AGE="0")
        raw = redis.Redis(port=rds.port, decode_responses=True, socket_timeout=2)
        bob_feed = f"{prefix}:tl:home:{bob.pk}"
        with (
            run_server(env, log_path=tmp_path / "server.log") as base,
            run_celery_worker(env),
        ):
            api = f"{base}/api/v1"
            # --- Healthy: bob follows alice, his feed exists in Redis, fan-out reaches it.
            assert httpx.post(f"{api}/users/rf_alice/follow", headers=bob_h, timeout=20).status_code in (200, 201)
            home = httpx.get(f"{api}/timeline/home", headers=bob_h, timeout=20)
            assert home.status_code == 200 and home.headers["X-Timeline-Source"] == "redis"
            first = httpx.post(f"{api}/tweets", json={"text": "before the outage"}, headers=alice_h, timeout=20)
            assert first.status_code == 201, first.text
            member = f"{first.json()['id']}:{alice.pk}"
            assert wait_until(lambda: raw.zscore(bob_feed, member) is not None, 20), "worker fan-out missing"
            bob_tweet = httpx.post(f"{api}/tweets", json={"text": "bob speaks"}, headers=bob_h, timeout=20).json()

            async def open_then_outage() -> tuple[int, float]:
                socket = await open_socket(base, bob_h)
                try:
                    # A push works while Redis is up.
                    liked = httpx.post(f"{api}/tweets/{bob_tweet['id']}/like", headers=alice_h, timeout=20)
                    assert liked.status_code in (200, 201), liked.text
                    assert (await next_notification(socket))["type"] == "like"
                    rds.stop()
                    started = time.monotonic()
                    return await close_code(socket), time.monotonic() - started
                finally:
                    await socket.close()

            code, seconds_to_close = asyncio.run(open_then_outage())
            assert code == 4503
            assert seconds_to_close < 10

            # --- Redis down: REST answers promptly.
            health, took = timed(httpx.get, f"{base}/readyz")
            assert health.status_code == 200, health.text
            assert health.json() == {"status": "degraded", "database": "ok", "redis": "unavailable"}
            assert took < OUTAGE_REQUEST_BUDGET
            during, took = timed(httpx.post, f"{api}/tweets", json={"text": "during the outage"}, headers=alice_h)
            assert during.status_code == 201, during.text
            assert took < OUTAGE_REQUEST_BUDGET
            home, took = timed(httpx.get, f"{api}/timeline/home", headers=bob_h)
            assert home.status_code == 200, home.text
            assert home.headers["X-Timeline-Source"] == "postgres"
            assert during.json()["id"] in [t["id"] for t in home.json()["results"]]
            assert took < OUTAGE_REQUEST_BUDGET
            # A notification caused during the outage is stored (only the live push is lost).
            followed, took = timed(httpx.post, f"{api}/users/rf_bob/follow", headers=alice_h)
            assert followed.status_code in (200, 201), followed.text
            assert took < OUTAGE_REQUEST_BUDGET
            assert Notification.objects.filter(recipient=bob, actor=alice, type="follow").count() == 1
            listed, took = timed(httpx.get, f"{api}/notifications", headers=bob_h)
            assert listed.status_code == 200
            assert [n["type"] for n in listed.json()["results"]] == ["follow", "like"]
            assert took < OUTAGE_REQUEST_BUDGET

            async def socket_during_outage() -> int:
                access = bob_h["Authorization"].split()[1]
                async with websockets.connect(ws_url(base), subprotocols=["bearer", access], open_timeout=10) as s:
                    return await close_code(s)

            assert asyncio.run(socket_during_outage()) == 4503

            # --- Redis back (empty: its data is gone), nothing restarted.
            rds.start()
            assert wait_until(lambda: httpx.get(f"{base}/readyz", timeout=10).json()["status"] == "ok", 15)

            async def push_after_recovery() -> dict:
                deadline = time.monotonic() + 20
                while True:  # the server's Redis clients reconnect on their own
                    try:
                        socket = await open_socket(base, bob_h)
                        break
                    except (websockets.ConnectionClosed, TimeoutError, OSError):
                        if time.monotonic() > deadline:
                            raise
                        await asyncio.sleep(0.5)
                try:
                    retweeted = httpx.post(f"{api}/tweets/{bob_tweet['id']}/retweet", headers=alice_h, timeout=20)
                    assert retweeted.status_code in (200, 201), retweeted.text
                    return await next_notification(socket)
                finally:
                    await socket.close()

            assert (asyncio.run(push_after_recovery()))["type"] == "retweet"

            # The home feed comes back from Redis once the 5 s back-off has passed: rebuilt from
            # PostgreSQL (it holds the tweet posted during the outage) ...
            def home_from_redis():
                response = httpx.get(f"{api}/timeline/home", headers=bob_h, timeout=20)
                return response if response.headers["X-Timeline-Source"] == "redis" else None

            home = wait_until(home_from_redis, 15, interval=0.5)
            assert home, "home timeline never went back to Redis"
            assert during.json()["id"] in [t["id"] for t in home.json()["results"]]
            assert raw.zscore(bob_feed, f"{during.json()['id']}:{alice.pk}") is not None
            # ... and the worker, reconnected to the broker, fans out into it again.
            after = httpx.post(f"{api}/tweets", json={"text": "after the outage"}, headers=alice_h, timeout=20)
            assert after.status_code == 201
            member = f"{after.json()['id']}:{alice.pk}"
            assert wait_until(lambda: raw.zscore(bob_feed, member) is not None, 20), "no fan-out after recovery"
            ids = [t["id"] for t in httpx.get(f"{api}/timeline/home", headers=bob_h, timeout=20).json()["results"]]
            assert ids[0] == after.json()["id"]
            assert len(ids) == len(set(ids))


def test_a_hung_redis_does_not_hold_requests(tmp_path):
    """Redis that stops answering (paused, not refusing connections) must not hold requests for the
    channel layer's long read timeout: live pushes are bounded (CHANNEL_LAYER_SEND_TIMEOUT_SECONDS)
    and dropped, the actions themselves succeed and their notifications are stored."""
    import os
    import signal

    with private_redis(tmp_path / "redis") as rd:
        env = server_env(redis_url=rd.url, prefix=f"hung{uuid.uuid4().hex[:6]}", TIMELINE_BACKEND="pull")
        author, author_headers = make_user("hungauthor")
        _fan, fan_headers = make_user("hungfan")
        with run_server(env, log_path=tmp_path / "server.log") as base:
            tweet = httpx.post(f"{base}/api/v1/tweets", json={"text": "before"}, headers=author_headers, timeout=20)
            assert tweet.status_code == 201
            os.kill(rd.process.pid, signal.SIGSTOP)
            try:
                like, like_time = timed(
                    httpx.post, f"{base}/api/v1/tweets/{tweet.json()['id']}/like", headers=fan_headers
                )
                follow, follow_time = timed(httpx.post, f"{base}/api/v1/users/hungauthor/follow", headers=fan_headers)
            finally:
                os.kill(rd.process.pid, signal.SIGCONT)
        assert like.status_code == 200 and follow.status_code == 200
        assert like_time < 6 and follow_time < 6, (like_time, follow_time)
        assert set(Notification.objects.filter(recipient=author).values_list("type", flat=True)) == {"like", "follow"}
