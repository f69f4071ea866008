"""bench/rooms_media.py's listener processes: each joins its share of the listeners the way
clients do (room socket, media object from ``room_state``, a ``CountingListener`` watching the
mountpoint), waits for the parent's measurement window and sends back plain figures."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time


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
