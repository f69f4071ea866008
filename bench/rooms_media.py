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

Diagnosis: ``BENCH_AIOICE_LOG=/path`` logs every STUN message of each listener process to
``/path.<pid>``; ``BENCH_JANUS_LOG=/path`` keeps Janus's log (``BENCH_JANUS_DEBUG=4`` for more).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.media_listener import LOUD  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


async def listener_worker(base: str, room_id: int, people: list[tuple[int, str]], args, control, results) -> None:
    import httpx

    from bench.media_listener import ConsentCounter, CountingListener, LoopLag, udp_socket_figures, use_rfc7675_consent

    consent = ConsentCounter()
    consent.install()
    if not args.strict_consent:
        use_rfc7675_consent()
    if os.environ.get("BENCH_AIOICE_LOG"):  # diagnosis: every STUN message of this process's peers
        import logging

        handler = logging.FileHandler(f"{os.environ['BENCH_AIOICE_LOG']}.{os.getpid()}")
        handler.setFormatter(logging.Formatter("%(created).3f %(name)s %(message)s"))
        logging.getLogger("aioice").setLevel(logging.DEBUG)
        logging.getLogger("aioice.ice").setLevel(logging.DEBUG)
        logging.getLogger("aioice").addHandler(handler)
        logging.getLogger("aioice.ice").addHandler(handler)
    lag = LoopLag()
    lag.start()
    # One HTTP client for every listener of this process (no pool limit: each holds a long poll).
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(10.0, read=40.0),
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
    )
    ws_base = base.replace("http", "ws", 1) + f"/ws/rooms/{room_id}/?token="
    semaphore = asyncio.Semaphore(args.join_concurrency)
    entries: list[dict] = []

    async def join(user_id: int, token: str) -> None:
        entry = {"user": user_id, "error": None, "peer": None, "ws": None, "drain": None, "started": None}
        entries.append(entry)
        async with semaphore:
            entry["started"] = time.monotonic()
            try:
                entry["ws"], media, entry["drain"] = await open_room_socket(ws_base, token)
                entry["room_state"] = time.monotonic()
                peer = CountingListener(
                    url=media["url"],
                    token=media["token"],
                    mountpoint=media["mountpoint"],
                    pin=media.get("pin"),
                    http=http,
                    sample_every=args.sample_every,
                    fast_path=not args.no_fast_path,
                )
                entry["peer"] = peer
                await peer.watch(timeout=60)
            except Exception as exc:  # reported, not raised: one failed join is a figure
                entry["error"] = f"{type(exc).__name__}: {exc}"[:200]
                return
        deadline = entry["started"] + args.join_timeout
        while not peer.loud_at and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    joins = [asyncio.ensure_future(join(user_id, token)) for user_id, token in people]
    await asyncio.gather(*joins)
    results.put(("joined", os.getpid(), len(people)))
    # The parent opens the measurement window once every worker has joined.
    window_start = await asyncio.to_thread(control["start"].get)
    cpu_start = sum(os.times()[:2])
    window_end = await asyncio.to_thread(control["end"].get)
    cpu_window = sum(os.times()[:2]) - cpu_start
    sockets = udp_socket_figures()
    report = [entry_report(entry, window_start, window_end) for entry in entries]
    process = {
        "cpu_total": sum(os.times()[:2]),
        "cpu_window": cpu_window,
        "lag": lag.between(window_start, window_end),
        "consent_expired": consent.expired,
        "sockets": sockets,
        "listeners": len(entries),
    }
    results.put(("report", os.getpid(), report, process))
    lag.task.cancel()
    for entry in entries:
        with contextlib.suppress(Exception):
            if entry["peer"] is not None:
                await asyncio.wait_for(entry["peer"].close(), 5)
        with contextlib.suppress(Exception):
            if entry["ws"] is not None:
                await entry["ws"].close()
        if entry["drain"] is not None:
            entry["drain"].cancel()
    await http.aclose()


def entry_report(entry: dict, window_start: float, window_end: float) -> dict:
    """One listener's figures: plain data for the parent (times relative to its join start)."""
    peer = entry["peer"]
    started = entry["started"] or 0.0
    report = {"error": entry["error"], "connected": False, "state": "none", "phases": {}, "hangup": None}
    report["ws_closed"] = entry["ws"] is not None and entry["ws"].close_code is not None
    if "room_state" in entry:
        report["phases"]["room_state"] = entry["room_state"] - started
    if peer is None:
        return report
    report.update(peer.window(window_start, window_end))
    report["phases"].update({name: at - started for name, at in peer.phases.items()})
    report["connected"] = peer.connected
    report["state"] = peer.pc.connectionState
    report["hangup"] = peer.janus.hangup_reason
    report["states"] = [(at - started, state) for at, state in peer.states]
    return report


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


def thread_count(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def spread(values: list[float], scale: float = 1.0, unit: str = "") -> str:
    if not values:
        return "n=0"
    return (
        f"p50 {percentile(values, 0.5) * scale:.0f}{unit}  p99 {percentile(values, 0.99) * scale:.0f}{unit}  "
        f"max {max(values) * scale:.0f}{unit}  (n={len(values)})"
    )


JOIN_PHASES = (
    ("room_state", "socket open -> room_state"),
    ("answered", "-> Janus watch + SDP answer sent"),
    ("connected", "-> ICE + DTLS connected"),
    ("first_packet", "-> first RTP packet"),
    ("first_loud", "-> first loud sampled packet"),
)


def print_figures(
    args, entries, processes, *, window, join_seconds, janus_cpu, janus_rss, janus_threads, baseline_rss, loads
):
    n = len(entries)
    connected = sum(1 for e in entries if e["connected"])
    receiving = sum(1 for e in entries if e.get("loud", 0) > 0)
    steady = sum(1 for e in entries if e.get("loud", 0) > 0 and e.get("every_second"))
    pps = statistics.fmean(e.get("packets", 0) / max(e.get("seconds", 0), 1) for e in entries) if entries else 0.0

    def share(k: int) -> str:
        return f"{k}/{n} ({k / max(n, 1):.0%})"

    print(
        f"load average (1 min) at the joins' start {loads[0][0]:.1f}, at the window's end {loads[1][0]:.1f} (2 cores)"
    )
    print(f"listeners: {n} in {len(processes)} processes, joined in {join_seconds:.1f} s; window {window:.1f} s")
    print(
        "receiving audio = SRTP packets from Janus in the window and at least one of them, decoded (one packet in "
        f"{args.sample_every}, every one until the first loud), at RMS >= {LOUD:.0f} (the tone is ~8500)"
    )
    print(
        f"connected: {share(connected)}   receiving audio: {share(receiving)}   "
        f"receiving in every second of the window: {share(steady)}"
    )
    print(f"RTP packets per listener per second: {pps:.1f} (50 = every 20 ms packet)")
    latencies = [e["phases"]["first_loud"] for e in entries if "first_loud" in e["phases"]]
    print(f"join latency (socket open -> first loud packet): {spread(latencies, 1000, ' ms')}")
    previous = None
    for phase, label in JOIN_PHASES:
        steps = [
            e["phases"][phase] - (e["phases"][previous] if previous else 0.0)
            for e in entries
            if phase in e["phases"] and (previous is None or previous in e["phases"])
        ]
        print(f"  {label}: {spread(steps, 1000, ' ms')}")
        previous = phase
    print(
        f"Janus CPU: {janus_cpu:.1f}% of one core ({janus_cpu / max(n, 1):.3f}% per listener); RSS {janus_rss:.1f} MiB "
        f"({(janus_rss - baseline_rss) * 1024 / max(n, 1):.0f} KiB per listener over the speaker-only "
        f"{baseline_rss:.1f} MiB); {janus_threads} threads"
    )
    cpu_total = sum(p["cpu_total"] for p in processes)
    cpu_window = sum(p["cpu_window"] for p in processes) / window * 100
    packets = sum(e.get("packets", 0) / max(e.get("seconds", 0), 1) for e in entries) * window
    cpu_per_packet = sum(p["cpu_window"] for p in processes) / max(packets, 1) * 1e6
    print(
        f"listener processes' CPU: {cpu_total:.1f} s over the whole run; in the window {cpu_window:.0f}% of one core "
        f"({cpu_window / max(n, 1):.2f}% per listener, {cpu_per_packet:.0f} us per received RTP packet)"
    )
    lags = [lag for p in processes for lag in p["lag"]]
    print(f"listener event loop lag in the window: {spread(lags, 1000, ' ms')}")
    dropped = [e for e in entries if not e["connected"] or e.get("loud", 0) == 0]
    if dropped:
        reasons = collections.Counter(
            f"state={e['state']} janus={e['hangup'] or '-'} socket={'closed' if e['ws_closed'] else 'open'}"
            + (f" error={e['error'][:60]}" if e["error"] else "")
            for e in dropped
        )
        print(
            f"not receiving or not connected: {len(dropped)}: "
            + "; ".join(f"{k} x{v}" for k, v in reasons.most_common())
        )
    expired = sum(p["consent_expired"] for p in processes)
    rule = (
        "aioice's: 6 checks in a row unanswered within 500 ms" if args.strict_consent else "RFC 7675: 30 s unanswered"
    )
    print(f"ICE consent expired ({rule}; the listener closed its connection): {expired}")
    drops = sum(p["sockets"]["drops"] for p in processes)
    queued = sum(p["sockets"]["queued_bytes"] for p in processes)
    print(
        f"listener UDP sockets: {sum(p['sockets']['sockets'] for p in processes)}, datagrams the kernel dropped "
        f"(receive queue full: a listener process fell behind): {drops}, queued at the window's end: {queued} bytes"
    )


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
