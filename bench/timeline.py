"""Timeline benchmark: the production layout (deploy/layout.py: nginx in front of granian HTTP
processes and a daphne) on PostgreSQL + Redis, seeded with a realistic network, driven over HTTP
from this separate process.

    .venv/bin/python bench/timeline.py                      # 10,000 users, 1,000,000 tweets
    .venv/bin/python bench/timeline.py --users 2000 --tweets-per-user 50 --duration 10
    .venv/bin/python bench/timeline.py --server gunicorn,granian,daphne --workers 1,2

Each deployment (HTTP server x number of HTTP processes, --server and --workers; 1 and 2
processes of granian by default) runs in turn on the same data in one run. Prints throughput and
p50/p95/p99 latency for: home timeline page 1, home timeline page 5, posting a tweet (fan-out
included: a Celery worker runs beside the servers), a user timeline, the Mastodon client API's
home timeline (``/api/v1/timelines/home`` with an OAuth token of the same users), and a fixed JSON
page of 20 tweets served by the same deployment without the database (the ceiling); and fan_out: tweets of
an author with 5,000 followers (all with a Redis feed), the time until each is in every one of
those feeds (bench/fan_out.py; ``--only fan_out`` runs it alone).
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
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fan_out import prepare_fan_out_author, run_fan_out, wait_for_idle_worker  # noqa: E402
from bench.load import ensure_wrk, run_steady, run_wrk  # noqa: E402

SCENARIOS = ["fixed_json", "home_page1", "home_page5", "user_timeline", "post_tweet", "mastodon_home"]


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


def setup_django(database_url: str, redis_url: str, key_prefix: str = "bench") -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["SECRET_KEY"] = BENCH_SECRET_KEY  # the tokens minted here must verify on the server
    os.environ["ACCESS_TOKEN_LIFETIME_SECONDS"] = "86400"  # a run outlasts the default 5 minutes
    os.environ["CACHE_KEY_PREFIX"] = key_prefix  # the servers': the fan-out scenario builds and reads their feeds
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twitterclone.settings")
    import django

    django.setup()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request costs the load generator


def seed_if_needed(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    from accounts.models import User

    call_command("migrate", verbosity=0)
    # The servers (DEBUG=false) serve static files from the manifest that collectstatic writes with
    # DEBUG=false (the Mastodon API links its default avatar), as ./serve.sh does.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "false", "SECRET_KEY": BENCH_SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1"},
        check=True,
    )
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


BENCH_CLIENT_APP = "bench timeline client"


def mastodon_tokens_for(users: list) -> dict[int, str]:
    """A Mastodon OAuth access token (django-oauth-toolkit's model, as the token endpoint would
    issue it) for each user, from one client app registered once and reused."""
    import secrets
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    from mastodon_api.services import OOB_URI, client_app_create

    application = Application.objects.filter(name=BENCH_CLIENT_APP).first()
    if application is None:
        application = client_app_create(name=BENCH_CLIENT_APP, redirect_uris=[OOB_URI], scopes="read write follow")
        application = application.app.application
    expires = timezone.now() + timedelta(days=1)
    tokens = {}
    for user in users:
        raw = secrets.token_urlsafe(32)
        AccessToken.objects.create(user=user, application=application, token=raw, expires=expires, scope="read")
        tokens[user.pk] = raw
    return tokens


def sample_users(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """(username, access token, Mastodon OAuth token) for a random sample of seeded users who
    follow someone."""
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
    oauth = mastodon_tokens_for([users[pk] for pk in chosen])
    return [(users[pk].username, tokens_for(users[pk])["access"], oauth[pk]) for pk in chosen]


def build_requests(base: str, users: list[tuple[str, str]], client) -> dict[str, list[tuple[str, str, str, str]]]:
    """Per scenario, a list of (method, path, token, body). Page-5 cursors are found by walking
    the first four pages, which also warms every sampled user's feed."""
    scenarios: dict[str, list[tuple[str, str, str, str]]] = {
        "fixed_json": [],
        "home_page1": [],
        "home_page5": [],
        "user_timeline": [],
        "post_tweet": [],
        "mastodon_home": [],
    }
    for index, (_username, token, oauth_token) in enumerate(users):
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
        # The Mastodon client API's home timeline (the same feeds, rendered as Mastodon statuses).
        scenarios["mastodon_home"].append(("GET", "/api/v1/timelines/home", oauth_token, ""))
    return scenarios


def run_deployment(args, env, users, scenarios, server: str, workers: int, fan_out=None) -> tuple[list, dict]:
    """Starts the production layout (nginx, ``workers`` HTTP processes of ``server``, one daphne)
    and runs every scenario through the proxy. Builds the scenarios on first use."""
    import httpx

    from deploy.layout import run_layout

    label = f"{server} x{workers}"
    results = []
    with run_layout(env, http_processes=workers, ws_processes=1, http_server=server, threads=args.threads) as layout:
        base = layout.base_url
        if fan_out is not None:
            wait_for_idle_worker(args.redis_url)
            log(f"[{label}] fan_out: {args.fan_out_posts} tweets, each to {len(fan_out[2]):,} follower feeds...")
            result = run_fan_out(base, fan_out, posts=args.fan_out_posts)
            results.append((label, "fan_out", f"{result['feeds']} feeds", result))
        if not scenarios and (not args.only or set(args.only) - {"fan_out"}):
            with httpx.Client(timeout=60) as client:
                log("walking pages to find page-5 cursors and warm the feeds...")
                scenarios.update(build_requests(base, users, client))
        for name in SCENARIOS:
            if args.only and name not in args.only:
                continue
            requests = scenarios.get(name)
            if not requests:
                log(f"{name}: no requests (not enough data)")
                continue
            log(f"[{label}] {name}: saturation ({args.duration}s, {args.connections} connections)...")
            cpu_before = layout.http_cpu_seconds()
            saturation = run_wrk(base, requests, args.duration, args.connections)
            # CPU per request in the HTTP processes: far steadier than throughput on a shared machine.
            saturation["cpu_ms"] = 1000 * (layout.http_cpu_seconds() - cpu_before) / max(1, saturation["requests"])
            results.append((label, name, "saturation", saturation))
            time.sleep(1)
            log(f"[{label}] {name}: steady {args.rate:g} req/s ({args.steady_duration}s)...")
            cpu_before = layout.http_cpu_seconds()
            steady = asyncio.run(run_steady(base, requests, args.rate, args.steady_duration))
            steady["cpu_ms"] = 1000 * (layout.http_cpu_seconds() - cpu_before) / max(1, steady["requests"])
            results.append((label, name, f"steady {args.rate:g}/s", steady))
            time.sleep(1)
    return results, scenarios


def print_report(args, users, results) -> None:
    print()
    print(
        f"network: {args.users:,} users, ~{args.users * args.tweets_per_user:,} tweets; "
        f"{len(users)} users making requests; every request through nginx; deployment = HTTP server x processes "
        f"({args.threads} threads each) + 1 daphne + 1 Celery worker; 2 cores shared with the load generator"
    )
    header = f"{'deployment':<13} {'scenario':<15} {'mode':<14} {'req/s':>9} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}"
    print(header + f" {'errors':>7} {'cpu ms/req':>10}")
    for label, name, mode, r in results:
        print(
            f"{label:<13} {name:<15} {mode:<14} {r['rps']:>9.1f} {r['p50']:>9.1f} {r['p95']:>9.1f} "
            f"{r['p99']:>9.1f} {r['errors']:>7} {r['cpu_ms']:>10.2f}"
        )
    print("(cpu ms/req: CPU time of the HTTP server processes per request, nginx and daphne excluded)")
    print("(fan_out: latency from sending the POST until the tweet is in every follower's Redis feed)")
    for label, name, _mode, r in results:
        if name == "fan_out":
            print(
                f"fan_out: a tweet of an author with {r['feeds']:,} followers was in every follower feed within 1 s "
                f"for {r['within_1s']} of {r['requests']} tweets "
                f"(p99 {r['p99']:.0f} ms, max {r['max']:.0f} ms; {label})"
            )
    saturation = {(label, name): r["rps"] for label, name, mode, r in results if mode == "saturation"}
    print()
    for label, name, mode, r in results:
        ceiling = saturation.get((label, "fixed_json"))
        if ceiling and mode == "saturation" and name != "fixed_json":
            print(f"{name}: {100 * r['rps'] / ceiling:.0f}% of the fixed-JSON ceiling at saturation ({label})")
    for server in args.server:
        one, two = saturation.get((f"{server} x1", "home_page1")), saturation.get((f"{server} x2", "home_page1"))
        if one and two:
            print(f"home_page1: 2 HTTP processes serve {two / one:.2f}x the requests/s of 1 ({server})")


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
    parser.add_argument("--only", nargs="*", help=f"scenarios to run (default: all): {', '.join(SCENARIOS)}, fan_out")
    parser.add_argument(
        "--key-prefix",
        default="bench",
        help="Redis key prefix of the servers' cache and feeds (another one for a second network on the same Redis db)",
    )
    parser.add_argument(
        "--seed-only", action="store_true", help="seed the network (and the fan-out author) if needed, then stop"
    )
    parser.add_argument(
        "--workers",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[1, 2],
        help="HTTP server processes behind nginx, one deployment each, all in this run (default: 1,2)",
    )
    parser.add_argument(
        "--server",
        type=lambda v: v.split(","),
        default=["granian"],
        help="HTTP servers to compare, e.g. gunicorn,granian,daphne (daphne = twitterclone.asgi with the "
        "standard Django ASGI handler, as ./dev.sh serves); default: granian, the production server",
    )
    parser.add_argument("--threads", type=int, default=4, help="request threads per HTTP process")
    parser.add_argument("--fan-out-followers", type=int, default=5000, help="followers of the fan-out author")
    parser.add_argument("--fan-out-posts", type=int, default=30, help="tweets posted in the fan-out scenario")
    args = parser.parse_args()

    ensure_wrk()
    subprocess.run(["bash", str(ROOT / "scripts" / "install_nginx.sh")], check=True, capture_output=True)
    ensure_database(args.database_url)
    setup_django(args.database_url, args.redis_url, args.key_prefix)
    seed_if_needed(args)
    if args.seed_only:
        prepare_fan_out_author(args.fan_out_followers)
        log("seeded; the next run starts with the scenarios")
        return
    users = sample_users(args)
    log(f"{len(users)} sampled users")
    fan_out = prepare_fan_out_author(args.fan_out_followers) if not args.only or "fan_out" in args.only else None

    from tests.server import run_celery_worker

    env = {
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "BENCHMARK_ENDPOINTS": "true",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CACHE_KEY_PREFIX": args.key_prefix,
        "CHANNEL_LAYER_PREFIX": args.key_prefix,
        "LOG_LEVEL": "ERROR",
        "RATE_LIMITS_ENABLED": "false",
        "HTTP_WORKER_THREADS": str(args.threads),
    }
    results: list[tuple[str, str, str, dict]] = []
    scenarios: dict[str, list[tuple[str, str, str, str]]] = {}
    with run_celery_worker(env):
        for server in args.server:
            for workers in args.workers:
                found, scenarios = run_deployment(args, env, users, scenarios, server, workers, fan_out)
                results += found
    print_report(args, users, results)


if __name__ == "__main__":
    main()
