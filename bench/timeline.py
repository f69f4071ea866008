"""Timeline benchmark: a real server on PostgreSQL + Redis, seeded with a realistic network, driven
over HTTP from this separate process.

    .venv/bin/python bench/timeline.py                      # 10,000 users, 1,000,000 tweets
    .venv/bin/python bench/timeline.py --users 2000 --tweets-per-user 50 --duration 10

Prints throughput and p50/p95/p99 latency for: home timeline page 1, home timeline page 5,
posting a tweet (fan-out included: a Celery worker runs beside the server), a user timeline,
and a fixed JSON page of 20 tweets served by the same server without the database (the ceiling).
Two modes: saturation (wrk, closed loop, as fast as the server answers) and a steady offered
load (open loop at --rate requests per second, latency measured from the scheduled send time,
so a slow server cannot hide its queueing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


BENCH_SECRET_KEY = "benchmark-secret-key-" + "x" * 40


def setup_django(database_url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["SECRET_KEY"] = BENCH_SECRET_KEY  # the tokens minted here must verify on the server
    os.environ["ACCESS_TOKEN_LIFETIME_SECONDS"] = "86400"  # a run outlasts the default 5 minutes
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twitterclone.settings")
    import django

    django.setup()


def seed_if_needed(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    from accounts.models import User

    call_command("migrate", verbosity=0)
    existing = User.objects.filter(username__startswith=f"seed{args.seed}_").count()
    if existing >= args.users:
        log(f"database already seeded: {existing:,} users")
        return
    log(f"seeding {args.users:,} users x {args.tweets_per_user} tweets (once; reused on later runs)...")
    call_command(
        "seed_network",
        users=args.users,
        tweets_per_user=args.tweets_per_user,
        follows_per_user=args.follows_per_user,
        seed=args.seed,
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def sample_users(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(username, access token) for a random sample of seeded users who follow someone."""
    from accounts.models import User
    from accounts.services import tokens_for

    rng = random.Random(args.seed)
    candidates = list(
        User.objects.filter(username__startswith=f"seed{args.seed}_", following_count__gt=0).values_list(
            "pk", flat=True
        )
    )
    chosen = rng.sample(candidates, min(args.sample_users, len(candidates)))
    users = User.objects.in_bulk(chosen)
    return [(users[pk].username, tokens_for(users[pk])["access"]) for pk in chosen]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def build_requests(base: str, users: list[tuple[str, str]], client) -> dict[str, list[tuple[str, str, str, str]]]:
    """Per scenario, a list of (method, path, token, body). Page-5 cursors are found by walking
    the first four pages, which also warms every sampled user's feed."""
    scenarios: dict[str, list[tuple[str, str, str, str]]] = {
        "fixed_json": [],
        "home_page1": [],
        "home_page5": [],
        "user_timeline": [],
        "post_tweet": [],
    }
    for index, (_username, token) in enumerate(users):
        headers = {"Authorization": f"Bearer {token}"}
        scenarios["fixed_json"].append(("GET", "/api/v1/bench/fixed", token, ""))
        scenarios["home_page1"].append(("GET", "/api/v1/timeline/home", token, ""))
        url = "/api/v1/timeline/home"
        for _ in range(4):
            response = client.get(base + url, headers=headers)
            response.raise_for_status()
            next_url = response.json().get("next")
            if not next_url:
                url = None
                break
            url = "/" + next_url.split("://", 1)[1].split("/", 1)[1]
        if url:
            scenarios["home_page5"].append(("GET", url, token, ""))
        other = users[(index + 1) % len(users)][0]
        scenarios["user_timeline"].append(("GET", f"/api/v1/users/{other}/tweets", token, ""))
        body = json.dumps({"text": f"benchmark tweet {index} #bench"})
        scenarios["post_tweet"].append(("POST", "/api/v1/tweets", token, body))
    return scenarios


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
    log("installing wrk (Debian package) for the saturation runs...")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_timeline")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--tweets-per-user", type=int, default=100)
    parser.add_argument("--follows-per-user", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample-users", type=int, default=200, help="distinct users making requests")
    parser.add_argument("--duration", type=int, default=15, help="seconds per saturation run")
    parser.add_argument("--steady-duration", type=int, default=20, help="seconds per steady-load run")
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second for the steady runs")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections for saturation runs")
    parser.add_argument("--only", nargs="*", help="scenarios to run (default: all)")
    args = parser.parse_args()

    ensure_wrk()
    ensure_database(args.database_url)
    setup_django(args.database_url, args.redis_url)
    seed_if_needed(args)
    users = sample_users(args)
    log(f"{len(users)} sampled users")

    from tests.server import run_celery_worker, run_server

    env = {
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "BENCHMARK_ENDPOINTS": "true",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CACHE_KEY_PREFIX": "bench",
        "CHANNEL_LAYER_PREFIX": "bench",
        "LOG_LEVEL": "ERROR",
        "RATE_LIMITS_ENABLED": "false",
    }
    import httpx

    results: list[tuple[str, str, dict]] = []
    with run_celery_worker(env), run_server(env) as base:
        with httpx.Client(timeout=60) as client:
            log("walking pages to find page-5 cursors and warm the feeds...")
            scenarios = build_requests(base, users, client)
        order = ["fixed_json", "home_page1", "home_page5", "user_timeline", "post_tweet"]
        for name in order:
            if args.only and name not in args.only:
                continue
            requests = scenarios[name]
            if not requests:
                log(f"{name}: no requests (not enough data)")
                continue
            log(f"{name}: saturation ({args.duration}s, {args.connections} connections)...")
            results.append((name, "saturation", run_wrk(base, requests, args.duration, args.connections)))
            time.sleep(1)
            log(f"{name}: steady {args.rate:g} req/s ({args.steady_duration}s)...")
            results.append(
                (
                    name,
                    f"steady {args.rate:g}/s",
                    asyncio.run(run_steady(base, requests, args.rate, args.steady_duration)),
                )
            )
            time.sleep(1)

    print()
    print(
        f"network: {args.users:,} users, ~{args.users * args.tweets_per_user:,} tweets; "
        f"{len(users)} users making requests; server: 1 daphne process + 1 Celery worker; 2 cores shared with the load"
    )
    print(f"{'scenario':<15} {'mode':<14} {'req/s':>9} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'errors':>7}")
    ceiling = next((r["rps"] for n, m, r in results if n == "fixed_json" and m == "saturation"), None)
    for name, mode, r in results:
        print(
            f"{name:<15} {mode:<14} {r['rps']:>9.1f} {r['p50']:>9.1f} {r['p95']:>9.1f} {r['p99']:>9.1f} "
            f"{r['errors']:>7}"
        )
    if ceiling:
        print()
        for name, mode, r in results:
            if mode == "saturation" and name != "fixed_json":
                print(f"{name}: {100 * r['rps'] / ceiling:.0f}% of the fixed-JSON ceiling at saturation")


if __name__ == "__main__":
    main()
