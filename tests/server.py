"""Real server processes for end-to-end tests: daphne (and Celery workers) in subprocesses.

``run_server(env=...)`` starts ``daphne twitterclone.asgi:application`` on a free port with the
given environment on top of this one, waits until ``/healthz`` answers, yields the base URL
(``http://127.0.0.1:PORT``) and stops the process afterwards. ``database_url_for_tests()`` gives the
URL of the database pytest-django created, so a server process and a ``transactional_db`` test see
the same data (PostgreSQL only: SQLite's test database lives in memory).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


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


@contextlib.contextmanager
def run_server(
    env: dict[str, str] | None = None, port: int | None = None, log_path: Path | None = None
) -> Iterator[str]:
    """Starts daphne with ``base_env(**env)`` and yields its base URL."""
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
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)
        if log_path:
            log.close()


@contextlib.contextmanager
def run_celery_worker(env: dict[str, str] | None = None, concurrency: int = 1) -> Iterator[subprocess.Popen]:
    """Starts a Celery worker with ``base_env(**env)``; yields the process."""
    process = subprocess.Popen(
        [
            str(VENV_BIN / "celery"),
            "-A",
            "twitterclone",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            str(concurrency),
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=base_env(**(env or {})),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        stop(process)


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=base_env(**env), check=True
    )
