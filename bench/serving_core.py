"""In-process checks of the serving-core levers (issue 11, "The page"), old way against new way.

    .venv/bin/python bench/serving_core.py [--requests 3000]

- JSON rendering and parsing: DRF's stdlib renderer/parser against orjson's, on a 20-tweet page
  shaped like a home timeline page (built by the real serializers from unsaved model instances).
- The middleware chain on /api/: Django's session, CSRF, auth and messages middleware against the
  API-skipping ones, on a request through the whole stack (Django's test client, rate limits off,
  a view that touches no database).
- The database health check: Django's SELECT 1 per request against the idle-socket poll (needs
  ``DATABASE_URL`` pointing at PostgreSQL).
- The rate-limit check: one Lua call for all of a request's limits (needs ``REDIS_URL``).

Figures are per operation, best of five runs; the machine's load is printed with them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twitterclone.settings")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402


def best_of(runs: int, repeat: int, operation) -> float:
    """Seconds per call of ``operation``, best of ``runs`` runs of ``repeat`` calls."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(repeat):
            operation()
        best = min(best, (time.perf_counter() - started) / repeat)
    return best


def row(name: str, old: float, new: float) -> None:
    print(f"{name:<44} {old * 1e6:>10.1f} us {new * 1e6:>10.1f} us {old / new:>7.2f}x")


def json_page_payload() -> dict:
    from datetime import UTC, datetime

    def profile(i: int) -> dict:
        return {
            "id": i,
            "username": f"user_{i}",
            "display_name": f"User Number {i} ✓",
            "avatar_url": None,
            "followers_count": 1000 + i,
            "following_count": 50,
            "tweets_count": 100,
            "created_at": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
        }

    def tweet(i: int) -> dict:
        return {
            "id": 10_000 + i,
            "text": "Just setting up my twttr #hello @user_3 — ünïcödé " * 2,
            "visibility": "public",
            "author": profile(i),
            "created_at": "2026-12-01T09:00:00.123456Z",
            "edited_at": None,
            "reply_to": None,
            "quote_of": None,
            "retweet_of": None,
            "like_count": 12,
            "retweet_count": 3,
            "reply_count": 1,
            "quote_count": 0,
            "hashtags": ["hello"],
            "mentions": ["user_3"],
            "liked": False,
            "retweeted": False,
            "bookmarked": True,
        }

    return {"results": [tweet(i) for i in range(20)], "next": "http://localhost/api/v1/timeline/home?cursor=x"}


def bench_json(repeat: int) -> None:
    import io

    from rest_framework.parsers import JSONParser
    from rest_framework.renderers import JSONRenderer

    from twitterclone.jsoncodec import OrjsonParser, OrjsonRenderer

    page = json_page_payload()
    old = best_of(5, repeat, lambda: JSONRenderer().render(page))
    new = best_of(5, repeat, lambda: OrjsonRenderer().render(page))
    row(f"render a 20-tweet page ({len(OrjsonRenderer().render(page))} bytes)", old, new)
    body = OrjsonRenderer().render({"text": "hello " * 40, "reply_to": 123, "visibility": "public"})
    old = best_of(5, repeat, lambda: JSONParser().parse(io.BytesIO(body), parser_context={}))
    new = best_of(5, repeat, lambda: OrjsonParser().parse(io.BytesIO(body), parser_context={}))
    row(f"parse a request body ({len(body)} bytes)", old, new)


STOCK_BROWSER_MIDDLEWARE = {
    "twitterclone.middleware.BrowserSessionMiddleware": "django.contrib.sessions.middleware.SessionMiddleware",
    "twitterclone.middleware.BrowserCsrfViewMiddleware": "django.middleware.csrf.CsrfViewMiddleware",
    "twitterclone.middleware.BrowserAuthenticationMiddleware": (
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    ),
    "twitterclone.middleware.BrowserMessageMiddleware": "django.contrib.messages.middleware.MessageMiddleware",
}


def bench_middleware(repeat: int) -> None:
    """The four browser middleware around a trivial view, as the handler runs them (process_view
    included), for an API request: Django's classes against the ones that skip /api/."""
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.utils.module_loading import import_string
    from django.views.decorators.csrf import csrf_exempt

    view = csrf_exempt(lambda request: HttpResponse(b"{}", content_type="application/json"))

    def chain(names: list[str]):
        instances = []
        handler = view
        for name in reversed(names):
            handler = import_string(name)(handler)
            instances.append(handler)
        view_hooks = [m.process_view for m in reversed(instances) if hasattr(m, "process_view")]

        def run(request):
            for hook in view_hooks:  # what BaseHandler does before calling the view
                hook(request, view, (), {})
            return handler(request)

        return run

    names = list(STOCK_BROWSER_MIDDLEWARE)
    old_chain, new_chain = chain([STOCK_BROWSER_MIDDLEWARE[n] for n in names]), chain(names)
    factory = RequestFactory()
    old = best_of(5, repeat, lambda: old_chain(factory.get("/api/v1/")))
    new = best_of(5, repeat, lambda: new_chain(factory.get("/api/v1/")))
    baseline = best_of(5, repeat, lambda: factory.get("/api/v1/"))
    row("session+CSRF+auth+messages on an API request", old - baseline, new - baseline)

    stock = [STOCK_BROWSER_MIDDLEWARE.get(name, name) for name in settings.MIDDLEWARE]

    def per_request(middleware: list[str]) -> float:
        with override_settings(MIDDLEWARE=middleware, RATE_LIMITS_ENABLED=False):
            client = Client()
            assert client.get("/api/v1/").status_code == 200
            return best_of(5, max(repeat // 3, 100), lambda: client.get("/api/v1/"))

    row("GET /api/v1/ through the whole stack", per_request(stock), per_request(list(settings.MIDDLEWARE)))


def bench_health_check(repeat: int) -> None:
    from django.db import connections
    from django.db.backends.postgresql.base import DatabaseWrapper as StockWrapper

    connection = connections["default"]

    if connection.vendor != "postgresql":
        print("database health check: skipped (set DATABASE_URL to PostgreSQL)")
        return
    connection.ensure_connection()

    def cycle(check) -> None:
        connection.health_check_done = False
        check(connection)

    old = best_of(5, repeat, lambda: cycle(StockWrapper.close_if_health_check_failed))
    new = best_of(5, repeat, lambda: cycle(type(connection).close_if_health_check_failed))
    row("per-request connection health check", old, new)


def bench_rate_limit(repeat: int) -> None:
    from twitterclone.ratelimit.store import Limit, check

    if not settings.REDIS_URL:
        print("rate-limit check: skipped (set REDIS_URL)")
        return
    from django.core.cache import cache

    limits = [Limit("bench", "api", 10**9, 300), Limit("bench", "login", 10**9, 300)]

    def fixed_windows() -> None:  # the previous limiter: cache.add + cache.incr per limit
        for limit in limits:
            key = f"bench-fixed:{limit.key}:{int(time.time() // limit.period)}"
            cache.add(key, 0, timeout=limit.period + 1)
            cache.incr(key)

    check(limits)
    row(
        "rate-limit check of 2 limits (4 calls -> 1)",
        best_of(5, repeat, fixed_windows),
        best_of(5, repeat, lambda: check(limits)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="operations per timed run")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'operation':<44} {'old':>13} {'new':>13} {'speed-up':>8}")
    bench_json(args.requests)
    bench_middleware(args.requests)
    bench_health_check(args.requests)
    bench_rate_limit(args.requests)


if __name__ == "__main__":
    main()
