"""The one test-support module for end-to-end tests with real processes.

Servers: ``run_server(env=...)`` starts ``daphne twitterclone.asgi:application`` on a free port
with the given environment on top of this one, waits until ``/healthz`` answers, yields the base
URL (``http://127.0.0.1:PORT``) and stops the process afterwards; ``run_server_process`` yields a
``RunningServer`` (URL and process) for a test that kills it. ``run_celery_worker`` starts a
worker (with beat and its own schedule file when asked). The nginx + granian + daphne layout is
``deploy.layout.run_layout``. Private Redis and PostgreSQL servers (for tests that stop them)
are in ``tests/services.py``.

Environment: ``server_env(...)`` is the environment every such process needs: the database
pytest-django created (``database_url_for_tests()``: a server process and a ``transactional_db``
test see the same data; PostgreSQL only, SQLite's test database lives in memory), a Redis, and
this run's own channel-layer and cache key prefix, so tests running at the same time on one
Redis never see each other's messages.

Clients: ``make_user`` (a user in the test database and an access token), ``register`` (over
HTTP), ``open_notification_socket`` / ``next_notification`` (a real websockets client on
``/ws/notifications/``), ``ws_url`` and ``wait_until``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PASSWORD = "correct-horse-battery-staple"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_for_tests() -> str:
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("database_url_for_tests needs PostgreSQL")
    auth = s["USER"] or "postgres"
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def base_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    env.update({"DJANGO_SETTINGS_MODULE": "twitterclone.settings", "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING"})
    env.update(overrides)
    return env


def wait_for_http(url: str, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers, even if unhealthy
        except Exception as exc:
            last_error = exc
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer in {timeout}s: {last_error}")


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@dataclass(frozen=True)
class RunningServer:
    url: str
    process: subprocess.Popen


@contextlib.contextmanager
def run_server_process(
    env: dict[str, str] | None = None, port: int | None = None, log_path: Path | None = None
) -> Iterator[RunningServer]:
    """Starts daphne with ``base_env(**env)`` on a free port, waits for ``/healthz``, yields the
    server; stops it afterwards (unless the test already killed it)."""
    port = port or free_port()
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "twitterclone.asgi:application"],
        cwd=ROOT,
        env=base_env(**(env or {})),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process=process)
        yield RunningServer(f"http://127.0.0.1:{port}", process)
    finally:
        stop(process)
        if log_path:
            log.close()


@contextlib.contextmanager
def run_server(
    env: dict[str, str] | None = None, port: int | None = None, log_path: Path | None = None
) -> Iterator[str]:
    """Starts daphne with ``base_env(**env)`` and yields its base URL."""
    with run_server_process(env, port=port, log_path=log_path) as server:
        yield server.url


@contextlib.contextmanager
def run_celery_worker(
    env: dict[str, str] | None = None,
    concurrency: int = 1,
    beat_schedule: Path | None = None,
    log_path: Path | None = None,
) -> Iterator[subprocess.Popen]:
    """Starts a Celery worker with ``base_env(**env)``; yields the process. With
    ``beat_schedule`` (a file path of the test's own) it runs beat too (``--beat -s``)."""
    command = [
        str(VENV_BIN / "celery"),
        *("-A", "twitterclone", "worker", "--loglevel", "WARNING", "--concurrency", str(concurrency)),
        *("--without-heartbeat", "--without-mingle", "--without-gossip"),
    ]
    if beat_schedule is not None:
        command += ["--beat", "-s", str(beat_schedule)]
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, env=base_env(**(env or {})), stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        stop(process)
        if log_path:
            log.close()


def server_env(
    *,
    redis_url: str | None = None,
    prefix: str | None = None,
    eager: bool = True,
    rate_limits: bool = False,
    **overrides: str,
) -> dict[str, str]:
    """The environment of a server or worker process on the pytest test database (PostgreSQL):
    ``redis_url`` (default: this run's ``settings.REDIS_URL``), a channel-layer and cache key
    ``prefix`` of its own (default: a fresh one), Celery tasks eager or through the broker, rate
    limits off unless asked for (then the settings' default); ``overrides`` on top."""
    from django.conf import settings

    prefix = prefix or f"t{uuid.uuid4().hex[:8]}"
    env = {
        "DATABASE_URL": database_url_for_tests(),
        "REDIS_URL": redis_url or settings.REDIS_URL,
        "CHANNEL_LAYER_PREFIX": prefix,
        "CACHE_KEY_PREFIX": prefix,
        "CELERY_TASK_ALWAYS_EAGER": "true" if eager else "false",
    }
    if not rate_limits:
        env["RATE_LIMITS_ENABLED"] = "false"
    env.update(overrides)
    return env


def wait_until(predicate: Callable[[], T], timeout: float, interval: float = 0.2) -> T:
    """Calls ``predicate`` until it returns something true or ``timeout`` passes; returns its
    last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def make_user(username: str) -> tuple[Any, str]:
    """A user in the test database (the server processes share it) and an access token."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    user = User.objects.create_user(username=username, email=f"{username}@example.com", password="x" * 20)
    return user, str(AccessToken.for_user(user))


def register(base: str, username: str) -> dict:
    """Registers through ``POST /api/v1/auth/register`` on a running server; returns the body
    (``access``, ``refresh``, ``user``)."""
    import httpx

    response = httpx.post(
        f"{base}/api/v1/auth/register",
        json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()


def ws_url(base: str, path: str = "/ws/notifications/") -> str:
    """The WebSocket URL of ``path`` on a server whose HTTP base URL is ``base``."""
    return base.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + path


async def open_notification_socket(base: str, access: str, timeout: float = 15):
    """A real websockets client on ``/ws/notifications/`` (token in the bearer subprotocol),
    checked with a ping; ``base`` is an http(s) or ws(s) base URL."""
    import websockets

    url = base if base.startswith("ws") else ws_url(base, "")
    socket = await websockets.connect(url + "/ws/notifications/", subprotocols=["bearer", access], open_timeout=timeout)
    assert socket.subprotocol == "bearer"
    await socket.send(json.dumps({"type": "ping"}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 10)) == {"type": "pong"}
    return socket


async def next_notification(socket, timeout: float = 15) -> dict:
    """The next ``notification`` frame on a socket, skipping others."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == "notification":
                return frame["notification"]


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=base_env(**env), check=True
    )
