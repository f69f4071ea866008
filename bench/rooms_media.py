"""Audio rooms on Janus: one room, one speaker, N listeners as aiortc receive-only peers.

    createdb -h 127.0.0.1 -U postgres bench_rooms_media    # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_rooms_media REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/rooms_media.py --listeners 200 --processes 4
    (... --listeners 10 --processes 2 --duration 5 for a quick check)

Use PostgreSQL: with SQLite (no DATABASE_URL) concurrent room-socket joins hit "database is
locked" in the server and some sockets close with 1011 (measured at 10 listeners).

It starts a real Janus (Debian's ``janus`` with deploy/janus/*.jcfg, ``deploy.janus_config.run_janus``
on free loopback ports) and a real daphne server configured for it (SQLite and the in-memory
channel layer unless DATABASE_URL / REDIS_URL are set). Every peer joins **the way clients do**:
it opens the room socket ``/ws/rooms/{id}/`` with its access token and takes the media object
from ``room_state`` (the object ``GET /rooms/{id}/media`` gives); the host (a speaker) joins the
AudioBridge room with its token and sends a 440 Hz tone; each listener watches the Streaming
mountpoint with its own token over Janus's HTTP API (``tests/media_peers.py``). Listeners are
spread over ``--processes`` worker processes (multiprocessing, spawn), each joining
``--join-concurrency`` at a time.

Printed:
- listeners connected (ICE/DTLS connected at the end of the measurement window) and the share
  receiving audio (at least one loud frame in the window), with the mean frames per second each
  received (50 = every 20 ms frame);
- join latency p50/p99: from opening the room socket to the first loud audio frame;
- Janus CPU (utime + stime from /proc/<pid>/stat over the window, % of one core) and RSS
  (/proc/<pid>/status), in all and per listener (RSS growth over the speaker-only baseline);
- the listener processes' own CPU: on one small machine the Python (aiortc) clients cost far
  more than Janus, so they, not Janus, may be what limits the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LOUD = 500.0


# --- Janus process figures ----------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (fields 14 and 15 of /proc/<pid>/stat), in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], fraction: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(fraction * len(values)))] if values else float("nan")


# --- peers --------------------------------------------------------------------------------------


def rms(pcm: bytes) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop  # C, and in the standard library up to 3.12

    return float(audioop.rms(pcm, 2))


async def open_room_socket(ws_base: str, token: str):
    """The room socket and the media object of its ``room_state``; a task keeps reading the
    socket (participant_joined for everyone else) so the server never waits on us."""
    import json

    from websockets.asyncio.client import connect

    ws = await connect(ws_base + token, max_queue=None, open_timeout=60)
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if frame["type"] == "room_state":
            break
    if not frame.get("media"):
        raise RuntimeError(f"room_state without media: {frame}")

    async def drain() -> None:
        with contextlib.suppress(Exception):
            async for _ in ws:
                pass

    return ws, frame["media"], asyncio.ensure_future(drain())


def make_listener_class():
    from aiortc.mediastreams import MediaStreamError

    from tests.media_peers import StreamingListener

    class BenchListener(StreamingListener):
        """Counts frames and measures the loudness of every 10th one (a Python RMS of every
        frame of 200 listeners would cost more CPU than everything else)."""

        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self.arrivals: list[float] = []
            self.loud: list[float] = []

        async def _consume(self, track) -> None:
            while True:
                try:
                    frame = await track.recv()
                except MediaStreamError:
                    return
                now = time.monotonic()
                self.arrivals.append(now)
                if len(self.arrivals) % 10 == 1 and rms(bytes(frame.planes[0])) >= LOUD:
                    self.loud.append(now)

    return BenchListener


async def listener_worker(base: str, room_id: int, people: list[tuple[int, str]], args, control, results) -> None:
    Listener = make_listener_class()
    ws_base = base.replace("http", "ws", 1) + f"/ws/rooms/{room_id}/?token="
    semaphore = asyncio.Semaphore(args.join_concurrency)
    entries: list[dict] = []

    async def join(user_id: int, token: str) -> None:
        entry = {"user": user_id, "error": None, "latency_ms": None, "peer": None, "ws": None, "drain": None}
        entries.append(entry)
        async with semaphore:
            started = time.monotonic()
            try:
                entry["ws"], media, entry["drain"] = await open_room_socket(ws_base, token)
                peer = Listener(url=media["url"], token=media["token"], mountpoint=media["mountpoint"])
                entry["peer"] = peer
                await peer.watch(timeout=60)
            except Exception as exc:  # reported, not raised: one failed join is a figure
                entry["error"] = f"{type(exc).__name__}: {exc}"[:200]
                return
        deadline = started + args.join_timeout
        while not peer.loud and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if peer.loud:
            entry["latency_ms"] = (peer.loud[0] - started) * 1000

    joins = [asyncio.ensure_future(join(user_id, token)) for user_id, token in people]
    await asyncio.gather(*joins)
    results.put(("joined", os.getpid(), len(people)))
    # The parent opens the measurement window once every worker has joined.
    window_start = await asyncio.to_thread(control["start"].get)
    window_end = await asyncio.to_thread(control["end"].get)
    report = []
    for entry in entries:
        peer = entry["peer"]
        frames = loud = 0
        connected = False
        if peer is not None:
            frames = sum(1 for at in peer.arrivals if window_start <= at <= window_end)
            loud = sum(1 for at in peer.loud if window_start <= at <= window_end)
            connected = peer.connected
        report.append(
            {
                "error": entry["error"],
                "latency_ms": entry["latency_ms"],
                "connected": connected,
                "frames": frames,
                "loud": loud,
            }
        )
    times = os.times()
    results.put(("report", os.getpid(), report, times.user + times.system))
    for entry in entries:
        with contextlib.suppress(Exception):
            if entry["peer"] is not None:
                await asyncio.wait_for(entry["peer"].close(), 5)
        with contextlib.suppress(Exception):
            if entry["ws"] is not None:
                await entry["ws"].close()
        if entry["drain"] is not None:
            entry["drain"].cancel()


def worker_main(base: str, room_id: int, people: list[tuple[int, str]], args, control, results) -> None:
    import logging

    logging.basicConfig(level=logging.ERROR)
    for name in ("httpx", "aioice", "aiortc"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        asyncio.run(listener_worker(base, room_id, people, args, control, results))
    except Exception as exc:
        results.put(("failed", os.getpid(), f"{type(exc).__name__}: {exc}"))


# --- the run ------------------------------------------------------------------------------------


def prepare(env: dict[str, str], count: int) -> list[tuple[int, str]]:
    """Migrates, creates ``count`` users directly in the database, returns (id, access token)."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twitterclone.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    call_command("migrate", verbosity=0, interactive=False)
    run = uuid.uuid4().hex[:6]
    User.objects.bulk_create(
        [User(username=f"rm{run}_{i}", email=f"rm{run}_{i}@example.com", password="!") for i in range(count)]
    )
    users = list(User.objects.filter(username__startswith=f"rm{run}_").order_by("pk"))
    return [(user.pk, str(AccessToken.for_user(user))) for user in users]


async def host_speaks(base: str, host_token: str):
    """The host starts the room (Janus room + mountpoint + forward), opens its socket and joins
    the AudioBridge with a tone, as a client would."""
    import httpx

    from tests.media_peers import AudioBridgePeer

    headers = {"Authorization": f"Bearer {host_token}"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        room = (await client.post("/api/v1/rooms", json={"title": "bench media"}, headers=headers)).json()
        started = await client.post(f"/api/v1/rooms/{room['id']}/start", headers=headers)
        if started.status_code != 200:
            raise RuntimeError(f"room start: {started.status_code} {started.text}")
    ws_base = base.replace("http", "ws", 1) + f"/ws/rooms/{room['id']}/?token="
    ws, media, drain = await open_room_socket(ws_base, host_token)
    if media.get("backend") != "janus" or media.get("plugin") != "janus.plugin.audiobridge":
        raise RuntimeError(f"the host's media is not the Janus stage: {media}")
    host = AudioBridgePeer(url=media["url"], token=media["token"], room=media["room"])
    await host.join()
    return room["id"], host, ws, drain


def run(args) -> None:
    from deploy.janus_config import run_janus
    from tests.server import run_server

    with tempfile.TemporaryDirectory() as tmp, run_janus(debug_level=2, session_timeout=120) as janus:
        env = {
            "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
            "REDIS_URL": os.environ.get("REDIS_URL", ""),
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "CHANNEL_LAYER_PREFIX": f"bench-media-{uuid.uuid4().hex[:6]}",
            "CACHE_KEY_PREFIX": f"bench-media-{uuid.uuid4().hex[:6]}",
            "RATE_LIMITS_ENABLED": "false",
            "ROOM_MAX_LISTENERS": str(args.listeners + 10),
            "ACCESS_TOKEN_LIFETIME_SECONDS": "7200",
            "MEDIA_ROOT": str(Path(tmp) / "media"),
            **janus.as_settings(),
        }
        people = prepare(env, args.listeners + 1)
        backend = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
        if backend == "SQLite":
            print("warning: SQLite locks under concurrent joins; set DATABASE_URL to a PostgreSQL database")
        layer = "channels-redis" if env["REDIS_URL"] else "in-memory layer"
        print(f"janus pid {janus.process.pid} ({janus.url}); server: daphne, {backend}, {layer}")
        with run_server(env, log_path=Path(tmp) / "server.log") as base:
            loop = asyncio.new_event_loop()
            try:
                room_id, host, host_ws, host_drain = loop.run_until_complete(host_speaks(base, people[0][1]))
                loop.run_until_complete(asyncio.sleep(2))
                baseline_rss = rss_mib(janus.process.pid)
                print(f"room {room_id}: the host speaks; Janus RSS with the speaker only: {baseline_rss:.1f} MiB")
                errors = measure(loop, args, base, room_id, people[1:], janus.process.pid, baseline_rss)
                if errors:
                    log = (Path(tmp) / "server.log").read_text(errors="replace")
                    print("server log (tail):\n" + log[-3000:])
                loop.run_until_complete(host.close())
                loop.run_until_complete(host_ws.close())
                host_drain.cancel()
            finally:
                loop.close()


def measure(loop, args, base, room_id, listeners, janus_pid, baseline_rss) -> list[str]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    chunks = [listeners[i :: args.processes] for i in range(args.processes)]
    controls = [{"start": context.Queue(), "end": context.Queue()} for _ in chunks]
    joins_started = time.monotonic()
    workers = [
        context.Process(target=worker_main, args=(base, room_id, chunk, args, control, results), daemon=True)
        for chunk, control in zip(chunks, controls, strict=True)
        if chunk
    ]
    for worker in workers:
        worker.start()

    def next_result(timeout: float):
        # The host's tone keeps flowing: run its loop while waiting for the workers.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                return results.get_nowait()
            loop.run_until_complete(asyncio.sleep(0.05))
        raise TimeoutError("a listener process did not answer")

    joined = 0
    while joined < len(workers):
        message = next_result(args.join_timeout + 60 + len(listeners))
        if message[0] == "failed":
            raise RuntimeError(f"listener process {message[1]} failed: {message[2]}")
        joined += 1
    join_seconds = time.monotonic() - joins_started
    loop.run_until_complete(asyncio.sleep(args.settle))
    cpu_before, window_start = cpu_seconds(janus_pid), time.monotonic()
    for control in controls:
        control["start"].put(window_start)
    loop.run_until_complete(asyncio.sleep(args.duration))
    cpu_after, window_end = cpu_seconds(janus_pid), time.monotonic()
    rss = rss_mib(janus_pid)
    for control in controls:
        control["end"].put(window_end)
    reports, client_cpu = [], 0.0
    while len(reports) < len(workers):
        message = next_result(60)
        if message[0] == "report":
            reports.append(message[2])
            client_cpu += message[3]
    for worker in workers:
        worker.join(20)
        if worker.is_alive():
            worker.kill()

    entries = [entry for report in reports for entry in report]
    window = window_end - window_start
    n = len(entries)
    connected = sum(1 for e in entries if e["connected"])
    receiving = sum(1 for e in entries if e["loud"] > 0)
    latencies = [e["latency_ms"] for e in entries if e["latency_ms"] is not None]
    errors = [e["error"] for e in entries if e["error"]]
    fps = statistics.fmean(e["frames"] / window for e in entries) if entries else 0.0
    janus_cpu = (cpu_after - cpu_before) / window * 100
    print(f"listeners: {n} in {len(workers)} processes, joined in {join_seconds:.1f} s")
    print(f"connected: {connected}/{n}   receiving audio: {receiving}/{n} ({receiving / max(n, 1):.0%})")
    print(f"frames per listener per second in the {window:.1f} s window: {fps:.1f} (50 = all)")
    print(
        f"join latency (socket open -> first loud frame) ms: p50 {percentile(latencies, 0.5):.0f}  "
        f"p99 {percentile(latencies, 0.99):.0f}  max {max(latencies, default=float('nan')):.0f}  (n={len(latencies)})"
    )
    print(
        f"Janus CPU: {janus_cpu:.1f}% of one core ({janus_cpu / max(n, 1):.3f}% per listener); "
        f"RSS {rss:.1f} MiB ({(rss - baseline_rss) * 1024 / max(n, 1):.0f} KiB per listener over the speaker-only "
        f"{baseline_rss:.1f} MiB)"
    )
    print(f"listener processes' CPU over the whole run: {client_cpu:.1f} s")
    if errors:
        print(f"join errors: {len(errors)}, e.g. {errors[0]}")
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listeners", type=int, default=200)
    parser.add_argument("--processes", type=int, default=4, help="listener processes")
    parser.add_argument("--join-concurrency", type=int, default=4, help="joins in flight per process")
    parser.add_argument("--join-timeout", type=float, default=60.0, help="seconds a listener waits for audio")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after the last join")
    parser.add_argument("--duration", type=float, default=15.0, help="measurement window, seconds")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    for name in ("httpx", "aioice", "aiortc"):
        logging.getLogger(name).setLevel(logging.WARNING)
    run(args)


if __name__ == "__main__":
    main()
