"""bench/rooms_media.py's figures: the Janus process read from /proc (CPU, RSS, threads) and the
printed report (see that script's docstring for what each line means)."""

from __future__ import annotations

import collections
import os
import statistics

from bench.media_listener import LOUD

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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
