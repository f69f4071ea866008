"""PostgreSQL CPU per page: the CPU time of the PostgreSQL backend process serving the
in-process loop of bench/profile_page.py (same seeded network, same requests), read from
``/proc/<backend pid>/schedstat`` (nanoseconds on CPU) around every statement, so the figure
is the database's own work per page, per statement, whatever the Python side costs.

    .venv/bin/python bench/pg_cpu.py                      # home, 2,000 requests
    .venv/bin/python bench/pg_cpu.py --scenario user_timeline --requests 500

PostgreSQL must run on this machine (its backend's /proc entry is read). Read-only on the
bench database: run bench/timeline.py once first (it seeds it).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.profile_page import SCENARIOS, WsgiClient, build_requests, run_loop, setup  # noqa: E402


def backend_cpu_ns(path: str) -> int:
    with open(path) as stat:
        return int(stat.read().split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=SCENARIOS, default="home")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_timeline")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--sample-users", type=int, default=200)
    parser.add_argument("--page", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a setting of the session")
    args = parser.parse_args()
    setup(args.database_url, args.redis_url)

    from django.db import connection

    client = WsgiClient()
    requests = build_requests(args, client)
    with connection.cursor() as cursor:  # before the warm-up, so that the plans are made under it
        for setting in args.set:
            name, _, value = setting.partition("=")
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
    for request in requests:  # warm-up: feeds, caches, connections, prepared statements
        assert request.send(client).status_code in (200, 201)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    stat_path = f"/proc/{pid}/schedstat"
    per_statement: dict[str, list[int]] = defaultdict(lambda: [0, 0])

    def measure(execute, sql, params, many, context):
        before = backend_cpu_ns(stat_path)
        try:
            return execute(sql, params, many, context)
        finally:
            spent = backend_cpu_ns(stat_path) - before
            entry = per_statement[" ".join(sql.split())[:90]]
            entry[0] += 1
            entry[1] += spent

    started_total, started_wall = backend_cpu_ns(stat_path), time.perf_counter()
    with connection.execute_wrapper(measure):
        run_loop(client, requests, args.requests)
    total = backend_cpu_ns(stat_path) - started_total
    wall = time.perf_counter() - started_wall
    print(
        f"{args.requests} requests of {args.scenario} for {len(requests)} users: PostgreSQL backend "
        f"{total / args.requests / 1000:.0f} µs CPU per request ({wall / args.requests * 1000:.2f} ms wall)"
    )
    for sql, (count, spent) in sorted(per_statement.items(), key=lambda item: -item[1][1]):
        print(f"  {spent / args.requests / 1000:7.0f} µs/request  {count / args.requests:5.2f}/request  {sql}")


if __name__ == "__main__":
    main()
