"""The production layout with real processes (deploy/layout.py): Debian's nginx in front of two
granian HTTP processes and two daphne processes, a Celery worker, one PostgreSQL and one Redis.

- A user posts (and likes) through the proxy; followers' sockets, opened through the proxy and held
  by both daphne processes, receive the notifications.
- One HTTP process is killed with SIGKILL under load: no request fails except those in flight at
  that instant (counted); idempotent ones are retried on the other process by nginx, and the proxy
  keeps answering from the other process.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from dataclasses import dataclass

import httpx
import pytest

from deploy.layout import Layout, group_running, nginx_binary, run_layout
from tests.server import next_notification, open_notification_socket, register, server_env

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def layout_env() -> dict[str, str]:
    return server_env(  # this run's own channel, cache and queue keys
        eager=False,
        DEBUG="false",
        SECRET_KEY="layout-test-secret-key-" + "x" * 40,
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
    )


@pytest.fixture
def layout():
    try:
        nginx_binary()
    except FileNotFoundError:
        pytest.skip("nginx is not installed: scripts/install_nginx.sh (.ci/run runs it)")
    with run_layout(layout_env(), http_processes=2, ws_processes=2, celery_worker=True) as running:
        yield running


def auth(user: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['access']}"}


def socket_counts(layout: Layout) -> list[int]:
    """Notification sockets each daphne process has accepted, from its own access log."""
    return [
        len(re.findall(r"WSCONNECT /ws/notifications/", (layout.workdir / f"{ws.name}.log").read_text()))
        for ws in layout.ws
    ]


async def open_socket(layout: Layout, access: str):
    return await open_notification_socket(layout.ws_url, access)


def test_a_post_through_the_proxy_reaches_followers_on_both_daphne_processes(layout):
    author = register(layout.base_url, "lay_author")
    followers = [register(layout.base_url, f"lay_fan{i}") for i in range(2)]
    for fan in followers:
        response = httpx.post(f"{layout.base_url}/api/v1/users/lay_author/follow", headers=auth(fan), timeout=30)
        assert response.status_code in (200, 201), response.text

    async def scenario() -> tuple[list[tuple[int, dict]], dict, list[int]]:
        # nginx balances sockets over both daphne processes; open sockets until each holds one.
        sockets = []
        for attempt in range(8):
            fan = attempt % 2
            sockets.append((fan, await open_socket(layout, followers[fan]["access"])))
            await asyncio.sleep(0.3)  # the access log line is written after the handshake
            counts = socket_counts(layout)
            if all(counts) and {f for f, _ in sockets} == {0, 1}:
                break
        author_socket = await open_socket(layout, author["access"])
        try:
            async with httpx.AsyncClient(base_url=layout.base_url, timeout=30) as client:
                posted = await client.post(
                    "/api/v1/tweets", json={"text": "hello @lay_fan0 and @lay_fan1"}, headers=auth(author)
                )
                assert posted.status_code == 201, posted.text
                received = [(fan, await next_notification(socket, 20)) for fan, socket in sockets]
                liked = await client.post(f"/api/v1/tweets/{posted.json()['id']}/like", headers=auth(followers[1]))
                assert liked.status_code == 200, liked.text
                like = await next_notification(author_socket, 20)
            return received, like, counts
        finally:
            for _, socket in sockets:
                await socket.close()
            await author_socket.close()

    received, like, counts = asyncio.run(scenario())
    assert all(count >= 1 for count in counts), f"sockets per daphne process: {counts}"
    assert len(received) == sum(counts)
    for fan, notification in received:
        assert notification["type"] == "mention"
        assert notification["actor"]["username"] == "lay_author"
        assert notification["tweet"]["text"] == "hello @lay_fan0 and @lay_fan1"
    assert like["type"] == "like"
    assert like["actor"]["username"] == "lay_fan1"


def test_mastodon_streaming_paths_go_to_daphne_and_the_rest_to_the_http_server(layout):
    for path in ("/api/v1/streaming", "/api/v1/streaming/user", "/api/v1/streaming/public/local"):
        response = httpx.get(f"{layout.base_url}{path}?probe=1", timeout=30)
        assert response.status_code < 500, response.text
    httpx.get(f"{layout.base_url}/api/v1/streamingx?probe=1", timeout=30)  # not a streaming path
    daphne_logs = "".join((layout.workdir / f"{ws.name}.log").read_text() for ws in layout.ws)
    for path in ("/api/v1/streaming", "/api/v1/streaming/user", "/api/v1/streaming/public/local"):
        assert f'"GET {path}?probe=1"' in daphne_logs, path
    assert "/api/v1/streamingx" not in daphne_logs
    access_log = (layout.workdir / "access.log").read_text()
    assert '"GET /api/v1/streaming/user" ' in access_log  # nginx logs every request, by path only
    assert "probe=1" not in access_log  # never a query string (sockets may carry ?token=)


@dataclass
class Outcome:
    method: str
    started: float
    finished: float
    status: int | None  # None: no HTTP answer at all


def test_sigkill_of_one_http_process_under_load_loses_only_requests_in_flight(layout):
    users = [register(layout.base_url, f"lay_load{i}") for i in range(4)]
    for user in users:
        assert (
            httpx.post(
                f"{layout.base_url}/api/v1/tweets", json={"text": "first"}, headers=auth(user), timeout=30
            ).status_code
            == 201
        )
    victim, survivor = layout.http
    outcomes: list[Outcome] = []
    kill_at: list[float] = []  # [SIGKILL sent, every process of the server gone]

    async def client_loop(index: int, client: httpx.AsyncClient, until: float) -> None:
        user, n = users[index % len(users)], 0
        while time.monotonic() < until:
            n += 1
            post = n % 3 == 0  # every third request is a (non-idempotent) post
            method = "POST" if post else "GET"
            started = time.monotonic()
            try:
                if post:
                    response = await client.post(
                        "/api/v1/tweets", json={"text": f"load {index}.{n}"}, headers=auth(user)
                    )
                else:
                    response = await client.get("/api/v1/timeline/home", headers=auth(user))
                status: int | None = response.status_code
            except httpx.HTTPError:
                status = None
            outcomes.append(Outcome(method, started, time.monotonic(), status))

    async def killer(start: float) -> None:
        await asyncio.sleep(max(0.0, start + 3.0 - time.monotonic()))
        kill_at.append(time.monotonic())
        victim.kill(signal.SIGKILL)  # the server's master and its worker, mid-request
        # Dying takes a few milliseconds; requests sent meanwhile are in flight too.
        while group_running(victim.popen.pid):
            await asyncio.sleep(0.001)
        kill_at.append(time.monotonic())

    async def scenario() -> None:
        limits = httpx.Limits(max_connections=12, max_keepalive_connections=12)
        async with httpx.AsyncClient(base_url=layout.base_url, timeout=30, limits=limits) as client:
            start = time.monotonic()
            until = start + 9.0
            await asyncio.gather(killer(start), *(client_loop(i, client, until) for i in range(12)))

    asyncio.run(scenario())
    killed, dead = kill_at
    assert victim.popen.wait(10) == -signal.SIGKILL
    assert survivor.popen.poll() is None

    # nginx finds out that its idle keep-alive connections to the dead server are dead only when it
    # writes a request on one; a POST written there in the moment after the death is in flight too
    # (nginx never retries a non-idempotent request it has sent). Allow that moment.
    dead += 0.5
    in_flight = [o for o in outcomes if o.started <= dead and o.finished > killed]
    failed = [o for o in outcomes if o.status is None or o.status >= 500]
    after = [o for o in outcomes if o.started > dead]
    summary = (
        f"{len(outcomes)} requests, {len(in_flight)} in flight while the server died "
        f"({1000 * (dead - killed):.1f} ms) "
        f"({sum(o.method == 'POST' for o in in_flight)} posts), {len(failed)} failed "
        f"({[(o.method, o.status) for o in failed]}), {len(after)} after it"
    )
    print(summary)
    assert len(outcomes) > 50, summary
    assert in_flight, summary  # the kill did land under load
    # Only requests in flight at the kill may fail, and only non-idempotent ones: nginx retried
    # every GET that the dead process had taken on the other one.
    assert all(o.started <= dead and o.finished > killed for o in failed), summary
    assert all(o.method == "POST" for o in failed), summary
    assert len(failed) <= len(in_flight), summary
    # The proxy kept answering from the surviving process: everything sent after the kill succeeded.
    assert len(after) > 20, summary
    assert all(o.status is not None and o.status < 400 for o in after), summary
    health = httpx.get(f"{layout.base_url}/healthz", timeout=10)
    assert health.status_code == 200


def test_rate_limits_behind_the_proxy_count_the_address_nginx_saw_not_a_forwarded_one():
    """nginx appends the peer address to X-Forwarded-For and TRUSTED_PROXY_COUNT=1 takes that last
    entry: a client cannot pick its own budget with a forged header, and clients on different
    addresses (127.0.0.2 and 127.0.0.3 here; nginx itself always connects from 127.0.0.1) keep
    separate budgets."""
    env = layout_env() | {"RATE_LIMITS_ENABLED": "true", "RATE_LIMIT_LOGIN_IP": "3/5m"}
    with run_layout(env, http_processes=1, ws_processes=1) as layout:

        def login_from(address: str, forged: str) -> httpx.Response:
            transport = httpx.HTTPTransport(local_address=address)
            with httpx.Client(transport=transport, base_url=layout.base_url, timeout=30) as client:
                return client.post(
                    "/api/v1/auth/login",
                    json={"login": "nobody_here", "password": "wrong-password-123"},
                    headers={"X-Forwarded-For": forged},
                )

        first = [login_from("127.0.0.2", f"203.0.113.{i}").status_code for i in range(3)]
        over = login_from("127.0.0.2", "203.0.113.99")
        other_client = login_from("127.0.0.3", "203.0.113.1")

    assert first == [401, 401, 401]
    assert over.status_code == 429, over.text
    assert over.json()["error"]["code"] == "throttled"
    assert "Retry-After" in over.headers
    assert other_client.status_code == 401, other_client.text
