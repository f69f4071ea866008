"""Notification delivery benchmark: a real daphne server on PostgreSQL + Redis (channels-redis),
1,000 authenticated sockets on /ws/notifications/, notifications triggered over REST.

    .venv/bin/python bench/notifications.py                  # 1,000 sockets, 300 follows at 10/s, room fan-out
    .venv/bin/python bench/notifications.py --sockets 200 --triggers 50 --no-fanout

Scenarios, each measuring delivery latency from just before the HTTP request is sent to the
moment the ``notification`` frame arrives on the recipient's socket (p50/p95/p99):

- ``follow``: ``POST /api/v1/users/{username}/follow`` by an actor, one recipient per request, at
  ``--rate`` requests per second (open loop: a slow server cannot hide its queueing);
- ``room_live`` (unless ``--no-fanout``): the host, followed by every socket user, starts a room
  (``POST /api/v1/rooms/{id}/start``); a real Celery worker fans the notification out in batches;
  latency per recipient from the start request to their frame.

It also prints the server's memory per open socket: the daphne process's RSS after the sockets
opened minus before, divided by the number of sockets.

The database (``bench_notif`` by default) is created and migrated on the first run; the bench's
users are created once and reused; their follows and notifications are reset on every run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.notification_sockets import Sockets, log, percentile, rss_kib, summary  # noqa: E402
from tests.server import VENV_BIN, base_env, free_port, stop, wait_for_http  # noqa: E402

SECRET_KEY = "bench-notifications-secret-key-not-for-production-0123456789"
PASSWORD_HASH_PLACEHOLDER = "!"  # unusable password: the bench's users never log in, they get tokens


def server_env(args: argparse.Namespace, prefix: str) -> dict[str, str]:
    """The environment of the server, the Celery worker and this process's Django (tokens must match)."""
    return {
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CHANNEL_LAYER_PREFIX": prefix,
        "CACHE_KEY_PREFIX": prefix,
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ACCESS_TOKEN_LIFETIME_SECONDS": "7200",
        "RATE_LIMITS_ENABLED": "false",
        # Under ASGI every request runs in a new thread, so a persistent connection is never reused
        # and is left open until garbage-collected: Django's docs say to disable them (see docs).
        "DB_CONN_MAX_AGE": os.environ.get("DB_CONN_MAX_AGE", "0"),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
    }


def ensure_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "twitterclone.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def prepare_users(args: argparse.Namespace) -> dict:
    """Creates the bench's users once; resets their follows and notifications; returns tokens."""
    from django.db import transaction
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from notifications.models import Notification
    from rooms.models import Room
    from social.models import Follow

    def ensure(prefix: str, count: int) -> list[User]:
        existing = {u.username: u for u in User.objects.filter(username__startswith=prefix)}
        missing = [
            User(username=f"{prefix}{i}", email=f"{prefix}{i}@bench.invalid", password=PASSWORD_HASH_PLACEHOLDER)
            for i in range(count)
            if f"{prefix}{i}" not in existing
        ]
        User.objects.bulk_create(missing, batch_size=1000)
        users = User.objects.filter(username__in=[f"{prefix}{i}" for i in range(count)]).order_by("pk")
        return list(users)

    recipients = ensure("bn_r", args.sockets)
    actors = ensure("bn_a", args.actors)
    (host,) = ensure("bn_host", 1)
    everyone = [u.pk for u in [*recipients, *actors, host]]
    with transaction.atomic():
        Follow.objects.filter(follower_id__in=everyone).delete()
        Notification.objects.filter(recipient_id__in=everyone).delete()
        Room.objects.filter(host=host).delete()
        User.objects.filter(pk__in=everyone).update(followers_count=0, following_count=0)
        if args.fanout:
            Follow.objects.bulk_create([Follow(follower=r, followee=host) for r in recipients], batch_size=1000)
            User.objects.filter(pk=host.pk).update(followers_count=len(recipients))
            User.objects.filter(pk__in=[r.pk for r in recipients]).update(following_count=1)

    def token(user: User) -> str:
        return str(AccessToken.for_user(user))

    return {
        "recipients": [(u.username, token(u)) for u in recipients],
        "actors": [(u.username, token(u)) for u in actors],
        "host": (host.username, token(host)),
    }


async def follow_scenario(base: str, sockets: Sockets, users: dict, args: argparse.Namespace) -> dict:
    """Open loop at ``--rate``: trigger i is sent at start + i/rate by actor i % actors to a random
    recipient (each (actor, recipient) pair once, so every follow is new)."""
    import httpx

    rng = random.Random(7)
    recipients, actors = users["recipients"], users["actors"]
    pairs: list[tuple[tuple[str, str], tuple[str, str]]] = []
    used: set[tuple[int, int]] = set()
    while len(pairs) < args.triggers:
        a, r = rng.randrange(len(actors)), rng.randrange(len(recipients))
        if (a, r) not in used:
            used.add((a, r))
            pairs.append((actors[a], recipients[r]))
    latencies: list[float] = []
    request_ms: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        start = time.perf_counter() + 0.5

        async def one(i: int) -> None:
            nonlocal failures
            (actor, token), (recipient, _) = pairs[i]
            await asyncio.sleep(max(0.0, start + i / args.rate - time.perf_counter()))
            arrived = sockets.expect((recipient, "follow", actor))
            sent = time.perf_counter()
            response = await client.post(
                f"/api/v1/users/{recipient}/follow", headers={"Authorization": f"Bearer {token}"}
            )
            request_ms.append((time.perf_counter() - sent) * 1000)
            if response.status_code >= 300:
                failures += 1
                log(f"follow {actor} -> {recipient}: {response.status_code} {response.text[:200]}")
                arrived.cancel()
                return
            try:
                latencies.append((await asyncio.wait_for(arrived, timeout=10) - sent) * 1000)
            except TimeoutError:
                failures += 1

        await asyncio.gather(*(one(i) for i in range(args.triggers)))
    extra = f"  (HTTP p50 {percentile(request_ms, 50):.1f} ms, failures {failures})"
    return summary("follow", latencies, args.triggers, extra)


async def fanout_scenario(base: str, sockets: Sockets, users: dict, connected: list[str]) -> dict:
    import httpx

    host, token = users["host"]
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        created = await client.post("/api/v1/rooms", json={"title": "Benchmark room"}, headers=headers)
        created.raise_for_status()
        room_id = created.json()["id"]
        waiters = {name: sockets.expect((name, "room_live", host)) for name in connected}
        sent = time.perf_counter()
        started = await client.post(f"/api/v1/rooms/{room_id}/start", headers=headers)
        request_ms = (time.perf_counter() - sent) * 1000
        started.raise_for_status()
        done, pending = await asyncio.wait(waiters.values(), timeout=60)
    for future in pending:
        future.cancel()
    latencies = [(f.result() - sent) * 1000 for f in done]
    return summary("room_live", latencies, len(connected), f"  (start request {request_ms:.1f} ms)")


@contextlib.contextmanager
def daphne(env: dict[str, str], log_path: Path):
    port = free_port()
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "twitterclone.asgi:application"],
            cwd=ROOT,
            env=base_env(**env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/healthz", process=process)
            yield process, port
        finally:
            stop(process)


@contextlib.contextmanager
def celery_worker(env: dict[str, str], log_path: Path):
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [
                str(VENV_BIN / "celery"),
                "-A",
                "twitterclone",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "1",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env=base_env(**env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            stop(process)


async def drive(args: argparse.Namespace, users: dict, port: int, pid: int) -> dict:
    import httpx

    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    results: dict = {"sockets": args.sockets}
    # Warm up: one request and one socket, so imports and pools are not counted per socket.
    async with httpx.AsyncClient(base_url=base) as client:
        await client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {users['host'][1]}"})
    warm = Sockets()
    await warm.open_all(ws_base, users["recipients"][:1])
    await warm.close_all()
    await asyncio.sleep(1)
    before = rss_kib(pid)

    sockets = Sockets()
    opened_at = time.perf_counter()
    await sockets.open_all(ws_base, users["recipients"])
    open_seconds = time.perf_counter() - opened_at
    await asyncio.sleep(2)
    after = rss_kib(pid)
    opened = len(sockets.connections)
    per_socket = (after - before) / max(opened, 1)
    print(
        f"sockets: {opened} open ({sockets.errors} failed) in {open_seconds:.1f} s; server RSS {before / 1024:.1f} MiB"
        f" -> {after / 1024:.1f} MiB: {per_socket:.1f} KiB per socket",
        flush=True,
    )
    results.update(
        opened=opened, failed=sockets.errors, rss_before_kib=before, rss_after_kib=after, kib_per_socket=per_socket
    )
    connected = [name for name, _ in users["recipients"]][:opened]
    try:
        if args.triggers:
            results["follow"] = await follow_scenario(base, sockets, users, args)
        if args.fanout:
            results["room_live"] = await fanout_scenario(base, sockets, users, connected)
    finally:
        await sockets.close_all()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_notif")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--sockets", type=int, default=1000, help="authenticated sockets held open (one per user)")
    parser.add_argument("--triggers", type=int, default=300, help="follow requests (0: skip the scenario)")
    parser.add_argument("--rate", type=float, default=10.0, help="follow requests per second (open loop)")
    parser.add_argument("--actors", type=int, default=50, help="distinct users who follow")
    parser.add_argument("--no-fanout", dest="fanout", action="store_false", help="skip the room_live fan-out")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line at the end")
    args = parser.parse_args()

    prefix = f"bench_notif_{os.getpid()}"
    env = server_env(args, prefix)
    ensure_database(args.database_url)
    setup_django(env)
    users = prepare_users(args)
    log(f"{len(users['recipients'])} socket users, {len(users['actors'])} actors ready")
    logs = Path(tempfile.mkdtemp(prefix="bench_notif_"))
    with contextlib.ExitStack() as stack:
        process, port = stack.enter_context(daphne(env, logs / "daphne.log"))
        if args.fanout:
            stack.enter_context(celery_worker(env, logs / "celery.log"))
        log(f"server pid {process.pid} on port {port}; logs in {logs}")
        results = asyncio.run(drive(args, users, port, process.pid))
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
