"""The notification benchmark's sockets and figures (``bench/notifications.py``): the open
sockets and the arrival time of each notification frame, the percentiles, one summary line per
scenario and the server's resident memory."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, latencies: list[float], expected: int, extra: str = "") -> dict:
    line = {
        "scenario": name,
        "delivered": len(latencies),
        "expected": expected,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "min_ms": round(min(latencies), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
    }
    print(
        f"{name:>10}: delivered {line['delivered']}/{expected}  p50 {line['p50_ms']} ms  p95 {line['p95_ms']} ms  "
        f"p99 {line['p99_ms']} ms  min {line['min_ms']} ms  max {line['max_ms']} ms{extra}",
        flush=True,
    )
    return line


class Sockets:
    """Holds the open sockets; each reader records when each notification frame arrives."""

    def __init__(self) -> None:
        self.arrivals: dict[tuple[str, str, str], float] = {}  # (recipient, type, actor) -> perf_counter
        self.waiters: dict[tuple[str, str, str], asyncio.Future] = {}
        self.connections: list = []
        self.readers: list[asyncio.Task] = []
        self.errors = 0

    def expect(self, key: tuple[str, str, str]) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        if key in self.arrivals:
            future.set_result(self.arrivals[key])
        else:
            self.waiters[key] = future
        return future

    async def read(self, username: str, connection) -> None:
        import websockets

        try:
            async for raw in connection:
                now = time.perf_counter()
                frame = json.loads(raw)
                if frame.get("type") != "notification":
                    continue
                item = frame["notification"]
                key = (username, item["type"], item["actor"]["username"])
                self.arrivals[key] = now
                waiter = self.waiters.pop(key, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(now)
        except websockets.ConnectionClosed:
            pass

    async def open_all(self, ws_base: str, users: list[tuple[str, str]], parallel: int = 50) -> None:
        import websockets

        semaphore = asyncio.Semaphore(parallel)

        async def open_one(username: str, token: str) -> None:
            async with semaphore:
                try:
                    connection = await websockets.connect(
                        f"{ws_base}/ws/notifications/",
                        subprotocols=["bearer", token],
                        open_timeout=30,
                        ping_interval=None,
                        max_queue=None,
                    )
                except Exception as exc:
                    self.errors += 1
                    log(f"socket for {username} failed: {exc!r}")
                    return
                self.connections.append(connection)
                self.readers.append(asyncio.create_task(self.read(username, connection)))

        await asyncio.gather(*(open_one(u, t) for u, t in users))

    async def close_all(self) -> None:
        await asyncio.gather(*(c.close() for c in self.connections), return_exceptions=True)
        for reader in self.readers:
            reader.cancel()
