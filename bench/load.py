"""Load generators for the benchmarks: wrk (closed loop, saturation) and an open-loop asyncio
client (a steady offered rate, latency counted from each request's scheduled send time)."""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRK_SCRIPT = r"""
local requests = {}
local counter = 0
local threadcount = 0

init = function(args)
  local file = io.open(args[1], "r")
  for line in file:lines() do
    local method, path, token, body = line:match("^(%S+)\t(%S+)\t(%S+)\t?(.*)$")
    local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
    if body == "" then body = nil end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
  file:close()
  counter = math.random(#requests)
end

request = function()
  counter = counter % #requests + 1
  return requests[counter]
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    "JSON{\"requests\": %d, \"seconds\": %f, \"p50\": %f, \"p95\": %f, \"p99\": %f, \"errors\": %d, \"non2xx\": %d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, errors, summary.errors.status))
end
"""


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def run_wrk(base: str, requests: list[tuple[str, str, str, str]], duration: int, connections: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        lines = Path(tmp, "requests.tsv")
        lines.write_text("\n".join("\t".join(r) for r in requests) + "\n")
        script = Path(tmp, "requests.lua")
        script.write_text(WRK_SCRIPT)
        result = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{duration}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                base,
                "--",
                str(lines),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    line = next(x for x in result.stdout.splitlines() if x.startswith("JSON"))
    data = json.loads(line[4:])
    data["rps"] = data["requests"] / data["seconds"]
    return data


async def run_steady(base: str, requests: list[tuple[str, str, str, str]], rate: float, duration: int) -> dict:
    """Open loop: request i is due at start + i/rate; latency counts from that due time."""
    import httpx

    latencies: list[float] = []
    errors = 0
    total = int(rate * duration)
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        start = time.perf_counter() + 0.2

        async def one(i: int) -> None:
            nonlocal errors
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            method, path, token, body = requests[i % len(requests)]
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            try:
                response = await client.request(method, path, headers=headers, content=body or None)
                if response.status_code >= 400:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - due) * 1000)

        await asyncio.gather(*(one(i) for i in range(total)))
    elapsed = max(latencies) / 1000 + duration if latencies else duration
    return {
        "requests": total,
        "rps": total / elapsed if elapsed else 0.0,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "errors": errors,
        "mean": statistics.fmean(latencies) if latencies else float("nan"),
    }


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("installing wrk (Debian package) for the saturation runs...", file=sys.stderr, flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
