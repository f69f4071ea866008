"""Profile of the home timeline page, in process: the bench's seeded network (bench_timeline,
Redis db 9, the same settings as the server of bench/timeline.py), a loop of
``GET /api/v1/timeline/home`` requests through Django's full handler (middleware,
authentication, view, rendering) for a sample of users, under cProfile.

    .venv/bin/python bench/profile_home.py                  # 2,000 requests, top 15 frames
    .venv/bin/python bench/profile_home.py --requests 500 --top 25 --page 5

Run bench/timeline.py once first (it seeds the database). Prints the wall and CPU time per
request without the profiler, the database queries per request, then the top frames under
cProfile by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.timeline import BENCH_SECRET_KEY  # noqa: E402

# Frames of this repository (not of Django or the libraries), for the cumulative listing.
PROJECT_CODE = r"/(tweets|accounts|social|notifications|twitterclone)/(?!tests/)"


def setup(database_url: str, redis_url: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="false",
        SECRET_KEY=BENCH_SECRET_KEY,
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        CACHE_KEY_PREFIX="bench",
        CHANNEL_LAYER_PREFIX="bench",
        LOG_LEVEL="ERROR",
        RATE_LIMITS_ENABLED="false",
        ACCESS_TOKEN_LIFETIME_SECONDS="86400",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twitterclone.settings")
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_timeline")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--sample-users", type=int, default=200)
    parser.add_argument("--page", type=int, default=1, help="which page of each user's timeline")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    setup(args.database_url, args.redis_url)

    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from accounts.services import tokens_for

    rng = random.Random(args.seed)
    pks = list(
        User.objects.filter(username__startswith=f"seed{args.seed}_", following_count__gt=0).values_list(
            "pk", flat=True
        )
    )
    users = User.objects.in_bulk(rng.sample(pks, min(args.sample_users, len(pks))))
    client = Client()
    urls: list[tuple[str, str]] = []
    for user in users.values():
        auth = f"Bearer {tokens_for(user)['access']}"
        url = "/api/v1/timeline/home"
        for _ in range(args.page - 1):  # walks (and warms) the pages before the one measured
            url = client.get(url, HTTP_AUTHORIZATION=auth).json()["next"]
            if not url:
                break
        if url:
            urls.append((url, auth))
    for url, auth in urls:  # warm-up: feeds, caches, connections
        assert client.get(url, HTTP_AUTHORIZATION=auth).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        for url, auth in urls:
            client.get(url, HTTP_AUTHORIZATION=auth)
    per_request_queries = len(queries) / len(urls)
    reset_queries()

    # Without the profiler (which inflates Python calls several times): wall time, and the CPU
    # time of this process alone (the database's and Redis's work is not in it).
    wall_started, cpu_started = time.perf_counter(), time.process_time()
    for index in range(args.requests):
        url, auth = urls[index % len(urls)]
        client.get(url, HTTP_AUTHORIZATION=auth)
    plain_wall = (time.perf_counter() - wall_started) / args.requests
    plain_cpu = (time.process_time() - cpu_started) / args.requests

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for index in range(args.requests):
        url, auth = urls[index % len(urls)]
        client.get(url, HTTP_AUTHORIZATION=auth)
    profiler.disable()
    elapsed = time.perf_counter() - started

    print(
        f"{args.requests} requests of home page {args.page} for {len(urls)} users, without the profiler: "
        f"{1000 * plain_wall:.2f} ms per request, of which {1000 * plain_cpu:.2f} ms CPU in this process"
    )
    print(
        f"{args.requests} requests of home page {args.page} for {len(urls)} users: "
        f"{1000 * elapsed / args.requests:.2f} ms per request under cProfile, "
        f"{per_request_queries:.1f} database queries per request"
    )
    listings = [
        ("own time", "tottime", ()),
        ("cumulative time, project code only", "cumulative", (PROJECT_CODE,)),
    ]
    for title, order, restrictions in listings:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats(order)
        stats.print_stats(*restrictions, args.top)
        lines = out.getvalue().replace(str(ROOT) + "/", "").splitlines()
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print(f"\ntop {args.top} frames by {title}:")
        print("\n".join(lines[start:]).rstrip())


if __name__ == "__main__":
    main()
