"""Room signalling benchmark: a real daphne server, one host and N listeners on /ws/rooms/{id}/.

    .venv/bin/python bench/rooms_signalling.py                    # SQLite + in-memory layer, 50 listeners
    .venv/bin/python bench/rooms_signalling.py --listeners 100 --rounds 500
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_rooms REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/rooms_signalling.py                # PostgreSQL + channels-redis

Measured (p50/p95/p99, milliseconds):

- ``connect``: from opening a listener socket to its ``room_state`` (auth, join, state snapshot);
- ``join fan-out``: from opening a listener socket to the host's ``participant_joined`` for it;
- ``relay round trip``: the host sends an ``offer`` to a listener, whose client answers at once;
  from the offer's send to the ``answer`` frame at the host (two relays, each with one role check
  in the database), ``--rounds`` times, spread over the listeners, one at a time;
- ``room end``: from ``POST /rooms/{id}/end`` to the last socket's ``room_ended``.

All traffic is on loopback; the run is bounded by its counts and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentiles(values: list[float]) -> str:
    values = sorted(values)
    if not values:
        return "n/a"

    def pick(fraction: float) -> float:
        return values[min(len(values) - 1, int(fraction * len(values)))]

    return (
        f"p50 {pick(0.50):7.2f}  p95 {pick(0.95):7.2f}  p99 {pick(0.99):7.2f}  "
        f"mean {statistics.fmean(values):7.2f}  (n={len(values)})"
    )


def prepare(env: dict[str, str], count: int) -> list[tuple[int, str]]:
    """Migrates, creates ``count`` users directly in the database and returns (id, access token)."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twitterclone.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from accounts.models import User
    from accounts.services import tokens_for

    run = uuid.uuid4().hex[:6]
    users = User.objects.bulk_create(
        [User(username=f"rb{run}_{i}", email=f"rb{run}_{i}@example.com", password="!") for i in range(count)]
    )
    if users[0].pk is None:  # backends that do not return ids from bulk_create
        users = list(User.objects.filter(username__startswith=f"rb{run}_").order_by("pk"))
    return [(user.pk, tokens_for(user)["access"]) for user in users]


async def run(base: str, people: list[tuple[int, str]], rounds: int) -> None:
    import httpx
    from websockets.asyncio.client import connect

    (_host_id, host_token), listeners = people[0], people[1:]
    headers = {"Authorization": f"Bearer {host_token}"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        room = (await client.post("/api/v1/rooms", json={"title": "bench"}, headers=headers)).json()
        assert (await client.post(f"/api/v1/rooms/{room['id']}/start", headers=headers)).status_code == 200
    ws_url = base.replace("http", "ws", 1) + f"/ws/rooms/{room['id']}/?token="

    host_ws = await connect(ws_url + host_token, max_queue=None)
    assert json.loads(await host_ws.recv())["type"] == "room_state"
    joined_at: dict[int, float] = {}
    answers: dict[int, asyncio.Future] = {}
    ended: list[float] = []

    async def host_reader() -> None:
        async for raw in host_ws:
            frame = json.loads(raw)
            if frame["type"] == "participant_joined":
                joined_at[frame["participant"]["user"]["id"]] = time.perf_counter()
            elif frame["type"] == "answer" and frame["from"] in answers:
                answers.pop(frame["from"]).set_result(time.perf_counter())

    async def listener_reader(ws) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame["type"] == "offer":
                await ws.send(json.dumps({"type": "answer", "to": frame["from"], "sdp": "v=0 answer"}))
            elif frame["type"] == "room_ended":
                ended.append(time.perf_counter())

    tasks = [asyncio.ensure_future(host_reader())]
    connect_ms, fanout_ms, opened = [], [], {}
    sockets = []
    for user_id, token in listeners:
        started = time.perf_counter()
        ws = await connect(ws_url + token, max_queue=None)
        assert json.loads(await ws.recv())["type"] == "room_state"
        connect_ms.append((time.perf_counter() - started) * 1000)
        opened[user_id] = started
        sockets.append(ws)
        tasks.append(asyncio.ensure_future(listener_reader(ws)))
    deadline = time.monotonic() + 30
    while len(joined_at) < len(listeners) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    fanout_ms = [(joined_at[u] - opened[u]) * 1000 for u in opened if u in joined_at]

    relay_ms = []
    for i in range(rounds):
        user_id = listeners[i % len(listeners)][0]
        future = asyncio.get_running_loop().create_future()
        answers[user_id] = future
        started = time.perf_counter()
        await host_ws.send(json.dumps({"type": "offer", "to": user_id, "sdp": "v=0 offer"}))
        relay_ms.append((await asyncio.wait_for(future, 10) - started) * 1000)

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        started = time.perf_counter()
        assert (await client.post(f"/api/v1/rooms/{room['id']}/end", headers=headers)).status_code == 200
    deadline = time.monotonic() + 30
    while len(ended) < len(listeners) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    end_ms = (max(ended) - started) * 1000 if ended else float("nan")

    for task in tasks:
        task.cancel()
    for ws in [host_ws, *sockets]:
        await ws.close()

    print(f"listeners: {len(listeners)}")
    print(f"connect -> room_state     ms  {percentiles(connect_ms)}")
    print(f"join fan-out to the host  ms  {percentiles(fanout_ms)}")
    print(f"relay round trip          ms  {percentiles(relay_ms)}")
    print(f"room end -> last room_ended   {end_ms:.1f} ms ({len(ended)}/{len(listeners)} sockets told)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listeners", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)

    from tests.server import run_server

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
            "REDIS_URL": os.environ.get("REDIS_URL", ""),
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "CHANNEL_LAYER_PREFIX": f"bench-rooms-{uuid.uuid4().hex[:6]}",
            "ROOM_MAX_LISTENERS": str(args.listeners + 10),
            "MEDIA_ROOT": str(Path(tmp) / "media"),
        }
        people = prepare(env, args.listeners + 1)
        backend = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
        layer = "channels-redis" if env["REDIS_URL"] else "in-memory layer"
        print(f"server: daphne, {backend}, {layer}")
        with run_server(env, log_path=Path(tmp) / "server.log") as base:
            asyncio.run(run(base, people, args.rounds))


if __name__ == "__main__":
    main()
