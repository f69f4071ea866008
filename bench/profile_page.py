"""Profile of one page of bench/timeline.py, in process: the bench's seeded network (the same
settings as its servers), a loop of requests through the production WSGI application
(``twitterclone.wsgi``, as granian calls it: middleware, URL resolution, authentication, view,
rendering) for a sample of users. Scenarios (as bench/timeline.py builds
them): ``home`` (``GET /api/v1/timeline/home``, ``--page``), ``user_timeline``
(``GET /api/v1/users/{username}/tweets`` of another sampled user), ``post_tweet``
(``POST /api/v1/tweets``: a Celery worker is not needed, the fan-out tasks wait in the broker)
``mastodon_home`` (``GET /api/v1/timelines/home`` with an OAuth token) and ``fixed_json``
(bench/timeline.py's ceiling: ``GET /api/v1/bench/fixed``, a fixed page of 20 tweets through the
same stack without the database), so that a page's instructions can be set against the ceiling's.

    .venv/bin/python bench/profile_page.py                       # home, 2,000 requests, top 15
    .venv/bin/python bench/profile_page.py --scenario user_timeline --requests 500 --top 25
    .venv/bin/python bench/profile_page.py --scenario post_tweet --callgrind --requests 300

Run bench/timeline.py once first (it seeds the database). Prints the wall and CPU time per
request without the profiler, the database queries per request, then the top frames under
cProfile by own time and project frames by cumulative time. ``--callgrind`` instead runs the
loop twice under ``valgrind --tool=callgrind`` (``--requests`` requests, then none) and prints
the difference per request: the instruction count of one request in the Python process, which
does not depend on how busy the machine is.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.timeline import BENCH_SECRET_KEY  # noqa: E402

SCENARIOS = ("home", "user_timeline", "post_tweet", "mastodon_home", "fixed_json")
# Frames of this repository (not of Django or the libraries), for the cumulative listing.
PROJECT_CODE = r"/(tweets|accounts|social|notifications|outbox|mastodon_api|twitterclone)/(?!tests/)"


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
        BENCHMARK_ENDPOINTS="true",  # the fixed_json scenario's page, as bench/timeline.py serves it
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twitterclone.settings")
    import django

    django.setup()


class Request:
    """One request of the loop: method, path, Authorization header, JSON body (or None)."""

    __slots__ = ("auth", "body", "method", "path")

    def __init__(self, method: str, path: str, auth: str, body: str | None = None) -> None:
        self.method, self.path, self.auth, self.body = method, path, auth, body

    def send(self, client):
        if self.method == "POST":
            return client.post(self.path, self.body, content_type="application/json", HTTP_AUTHORIZATION=self.auth)
        return client.get(self.path, HTTP_AUTHORIZATION=self.auth)


class WsgiClient:
    """Requests through the production WSGI application (``twitterclone.wsgi``, what granian
    calls), not Django's test client (whose own signals and handler are not production's)."""

    def __init__(self) -> None:
        from django.test import RequestFactory

        from twitterclone.wsgi import application

        self.application, self.factory = application, RequestFactory()

    def _send(self, environ: dict):
        status: list[str] = []
        body = b"".join(self.application(environ, lambda code, _headers, _exc=None: status.append(code)))
        return WsgiResponse(int(status[0].split()[0]), body)

    def get(self, url: str, **headers: str):
        parts = urlsplit(url)
        return self._send(self.factory.get(parts.path + (f"?{parts.query}" if parts.query else ""), **headers).environ)

    def post(self, path: str, body: str, content_type: str, **headers: str):
        return self._send(self.factory.post(path, body, content_type=content_type, **headers).environ)


class WsgiResponse:
    def __init__(self, status_code: int, body: bytes) -> None:
        self.status_code, self.body = status_code, body

    def json(self):
        return json.loads(self.body)


def build_requests(args: argparse.Namespace, client) -> list[Request]:
    """The scenario's requests, one per sampled user (as bench/timeline.py builds them)."""
    from accounts.models import User
    from accounts.services import tokens_for

    rng = random.Random(args.seed)
    pks = list(
        User.objects.filter(username__startswith=f"seed{args.seed}_", following_count__gt=0).values_list(
            "pk", flat=True
        )
    )
    chosen = rng.sample(pks, min(args.sample_users, len(pks)))
    users = User.objects.in_bulk(chosen)
    ordered = [users[pk] for pk in chosen]
    if args.scenario == "mastodon_home":
        from bench.timeline import mastodon_tokens_for

        oauth = mastodon_tokens_for(ordered)
        return [Request("GET", "/api/v1/timelines/home", f"Bearer {oauth[user.pk]}") for user in ordered]
    requests: list[Request] = []
    for index, user in enumerate(ordered):
        auth = f"Bearer {tokens_for(user)['access']}"
        if args.scenario == "user_timeline":
            other = ordered[(index + 1) % len(ordered)]
            requests.append(Request("GET", f"/api/v1/users/{other.username}/tweets", auth))
        elif args.scenario == "fixed_json":
            requests.append(Request("GET", "/api/v1/bench/fixed", auth))
        elif args.scenario == "post_tweet":
            body = json.dumps({"text": f"benchmark tweet {index} #bench"})
            requests.append(Request("POST", "/api/v1/tweets", auth, body))
        else:
            url = "/api/v1/timeline/home"
            for _ in range(args.page - 1):  # walks (and warms) the pages before the one measured
                url = client.get(url, HTTP_AUTHORIZATION=auth).json()["next"]
                if not url:
                    break
            if url:
                requests.append(Request("GET", url, auth))
    return requests


def run_loop(client, requests: list[Request], count: int) -> None:
    for index in range(count):
        requests[index % len(requests)].send(client)


def callgrind(args: argparse.Namespace) -> None:
    """The loop under callgrind with ``--requests`` requests and with none; prints the
    difference per request."""
    totals = {}
    for count in (args.requests, 0):
        with tempfile.NamedTemporaryFile(suffix=".callgrind", delete=False) as out:
            path = out.name
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={path}",
            sys.executable,
            __file__,
            *(arg for arg in sys.argv[1:] if arg != "--callgrind"),
            "--count-only",
            "--requests",
            str(count),
        ]
        subprocess.run(command, check=True, stdout=sys.stderr, stderr=subprocess.DEVNULL)
        text = Path(path).read_text(errors="replace")
        match = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
        totals[count] = int(match.group(1))
        print(f"callgrind, {count} requests: {totals[count]:,} instructions ({path})", file=sys.stderr)
    per_request = (totals[args.requests] - totals[0]) / args.requests
    print(f"{args.scenario}: {per_request / 1e6:.2f} M instructions per request (callgrind, {args.requests} requests)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=SCENARIOS, default="home")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_timeline")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--sample-users", type=int, default=200)
    parser.add_argument("--page", type=int, default=1, help="home: which page of each user's timeline")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show-queries", action="store_true", help="print the statements of one request")
    parser.add_argument("--callgrind", action="store_true", help="instructions per request under callgrind")
    parser.add_argument("--count-only", action="store_true", help=argparse.SUPPRESS)  # the loop alone
    args = parser.parse_args()
    if args.callgrind:
        callgrind(args)
        return
    setup(args.database_url, args.redis_url)

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    client = WsgiClient()
    requests = build_requests(args, client)
    for request in requests:  # warm-up: feeds, caches, connections, prepared statements
        status = request.send(client).status_code
        assert status in (200, 201), (request.path, status)
    if args.count_only:
        run_loop(client, requests, args.requests)
        return

    with CaptureQueriesContext(connection) as queries:
        run_loop(client, requests, len(requests))
    per_request_queries = len(queries) / len(requests)
    if args.show_queries:
        with CaptureQueriesContext(connection) as one:
            requests[0].send(client)
        print(f"the statements of one request ({len(one)}):")
        for query in one:
            print("  " + " ".join(query["sql"].split())[:160])
    reset_queries()

    # Without the profiler (which inflates Python calls several times): wall time, and the CPU
    # time of this process alone (the database's and Redis's work is not in it).
    wall_started, cpu_started = time.perf_counter(), time.process_time()
    run_loop(client, requests, args.requests)
    plain_wall = (time.perf_counter() - wall_started) / args.requests
    plain_cpu = (time.process_time() - cpu_started) / args.requests

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    run_loop(client, requests, args.requests)
    profiler.disable()
    elapsed = time.perf_counter() - started

    what = f"{args.requests} requests of {args.scenario}" + (f" page {args.page}" if args.scenario == "home" else "")
    print(
        f"{what} for {len(requests)} users, without the profiler: "
        f"{1000 * plain_wall:.2f} ms per request, of which {1000 * plain_cpu:.2f} ms CPU in this process"
    )
    print(
        f"{what} for {len(requests)} users: {1000 * elapsed / args.requests:.2f} ms per request under cProfile, "
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
