"""Audio rooms on Janus: one room, one speaker, N listeners as aiortc receive-only peers.

    createdb -h 127.0.0.1 -U postgres bench_rooms_media    # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_rooms_media REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/rooms_media.py --listeners 200 --processes 3 --duration 20 --settle 5
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

The listeners are ``bench.media_listener.CountingListener``: real aiortc peers (Janus HTTP API,
ICE, DTLS, SRTP) that count the SRTP packets they receive and decode a sample of them (see that
module for why and how: aiortc's per-listener decoder thread costs more CPU than Janus), with
RFC 7675 consent checks (``--strict-consent``: aioice's own). One HTTP client per process.

Printed (with the load average: the machine may be shared):
- listeners connected (ICE/DTLS connected at the end of the window), the share **receiving
  audio** (SRTP packets in the window and at least one sampled packet of the window decoded at
  RMS >= 500; the tone is ~8,500, silence ~0), the share receiving in every whole second of the
  window, and RTP packets per listener per second (50 = every 20 ms packet);
- join latency p50/p99 (room socket open -> first loud packet) and each phase of it: room_state,
  Janus watch + SDP answer, ICE + DTLS connected, first RTP packet, first loud packet;
- Janus CPU (utime + stime from /proc/<pid>/stat over the window, % of one core), RSS
  (/proc/<pid>/status) and threads, in all and per listener (RSS growth over the speaker-only
  baseline);
- the listener processes' CPU (whole run, window, per listener, per received packet), their
  event loop lag, and what explains a drop: each dropped listener's state, Janus's hangup reason,
  its room socket; ICE consent expiries; the datagrams the kernel dropped on the listeners'
  sockets because a process fell behind (/proc/net/udp).

Code: this script (the run: Janus, the server, the host, the window), ``bench/rooms_media_workers.py``
(the listener processes), ``bench/rooms_media_report.py`` (the figures and the printout).

Diagnosis: ``BENCH_AIOICE_LOG=/path`` logs every STUN message of each listener process to
``/path.<pid>``; ``BENCH_JANUS_LOG=/path`` keeps Janus's log (``BENCH_JANUS_DEBUG=4`` for more).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.rooms_media_report import cpu_seconds, print_figures, rss_mib, thread_count  # noqa: E402
from bench.rooms_media_workers import open_room_socket, worker_main  # noqa: E402


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

    janus_debug = int(os.environ.get("BENCH_JANUS_DEBUG", "2"))
    with (
        tempfile.TemporaryDirectory() as tmp,
        run_janus(debug_level=janus_debug, session_timeout=120) as janus,
    ):
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
                if os.environ.get("BENCH_JANUS_LOG"):  # diagnosis: keep Janus's log
                    Path(os.environ["BENCH_JANUS_LOG"]).write_text(janus.log())
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
    load_before = os.getloadavg()
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
    print(f"all {len(listeners)} listeners joined in {join_seconds:.1f} s; settling {args.settle:.0f} s", flush=True)
    loop.run_until_complete(asyncio.sleep(args.settle))
    cpu_before, window_start = cpu_seconds(janus_pid), time.monotonic()
    for control in controls:
        control["start"].put(window_start)
    loop.run_until_complete(asyncio.sleep(args.duration))
    cpu_after, window_end = cpu_seconds(janus_pid), time.monotonic()
    rss, threads = rss_mib(janus_pid), thread_count(janus_pid)
    load_window = os.getloadavg()
    for control in controls:
        control["end"].put(window_end)
    reports, processes = [], []
    while len(reports) < len(workers):
        message = next_result(60)
        if message[0] == "report":
            reports.append(message[2])
            processes.append(message[3])
    for worker in workers:
        worker.join(20)
        if worker.is_alive():
            worker.kill()
    entries = [entry for report in reports for entry in report]
    print_figures(
        args,
        entries,
        processes,
        window=window_end - window_start,
        join_seconds=join_seconds,
        janus_cpu=(cpu_after - cpu_before) / (window_end - window_start) * 100,
        janus_rss=rss,
        janus_threads=threads,
        baseline_rss=baseline_rss,
        loads=(load_before, load_window),
    )
    return [e["error"] for e in entries if e["error"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listeners", type=int, default=200)
    parser.add_argument("--processes", type=int, default=4, help="listener processes")
    parser.add_argument("--join-concurrency", type=int, default=4, help="joins in flight per process")
    parser.add_argument("--join-timeout", type=float, default=60.0, help="seconds a listener waits for audio")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after the last join")
    parser.add_argument("--duration", type=float, default=15.0, help="measurement window, seconds")
    parser.add_argument(
        "--sample-every", type=int, default=10, help="decode one RTP packet in N (after the first loud)"
    )
    parser.add_argument(
        "--strict-consent", action="store_true", help="aioice's own ICE consent checks (not RFC 7675's 30 s)"
    )
    parser.add_argument(
        "--no-fast-path", action="store_true", help="SRTP packets through aiortc's receive task, not the fast path"
    )
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    for name in ("httpx", "aioice", "aiortc"):
        logging.getLogger(name).setLevel(logging.WARNING)
    run(args)


if __name__ == "__main__":
    main()
