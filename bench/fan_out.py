"""The fan-out scenario of bench/timeline.py: a tweet of an author with 5,000 followers, each
with a home feed in Redis; the time from sending the POST until the tweet is in every one of
those feeds (the Celery worker running beside the servers does the fan-out)."""

from __future__ import annotations

import sys
import time

FAN_OUT_AUTHOR = "bench_fanout"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def prepare_fan_out_author(followers: int) -> tuple[int, str, list[int]]:
    """An author followed by exactly ``followers`` seeded users (made once, reused), every one
    of whom has a home feed in Redis (built here, as their first read would). Returns the
    author's id, an access token and the follower ids (newest follow first). Needs Django set up on the bench's
    database, with the server's ``CACHE_KEY_PREFIX``."""
    from django.db import transaction
    from django.db.models import F

    from accounts.models import User
    from accounts.services import tokens_for
    from social.models import Follow
    from tweets import feeds

    author = User.objects.filter(username=FAN_OUT_AUTHOR).first()
    if author is None:
        author = User.objects.create_user(username=FAN_OUT_AUTHOR, email="fanout@bench.invalid", password=None)
    follower_ids = list(
        User.objects.filter(username__startswith="seed").order_by("id").values_list("id", flat=True)[:followers]
    )
    existing = set(Follow.objects.filter(followee=author).values_list("follower_id", flat=True))
    new = [pk for pk in follower_ids if pk not in existing]
    if new:  # bench set-up in bulk (5,000 follow_create calls would take minutes); counters kept exact
        with transaction.atomic():
            Follow.objects.bulk_create([Follow(follower_id=pk, followee=author) for pk in new], ignore_conflicts=True)
            User.objects.filter(pk__in=new).update(following_count=F("following_count") + 1)
            count = Follow.objects.filter(followee=author).count()
            User.objects.filter(pk=author.pk).update(followers_count=count)
    # In the fan-out's order (newest follow first): the last one is the feed written last.
    follower_ids = list(Follow.objects.filter(followee=author).order_by("-pk").values_list("follower_id", flat=True))
    log(f"building the home feeds of the {len(follower_ids):,} followers of {FAN_OUT_AUTHOR}...")
    for pk in follower_ids:
        feeds.ensure_feed(pk)
    return author.pk, tokens_for(author)["access"], follower_ids


def wait_for_idle_worker(redis_url: str, timeout: float = 120.0) -> None:
    """Waits until the Celery queue is empty (earlier scenarios' fan-outs done)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while client.llen("celery") and time.monotonic() < deadline:
        time.sleep(0.2)


def run_fan_out(base: str, author: tuple[int, str, list[int]], posts: int) -> dict:
    """Posts ``posts`` tweets as the author, one at a time; for each, the time from sending the
    POST until the tweet is in every follower's feed (polling Redis, only the feeds still
    missing it). A tweet not everywhere after 10 s counts as an error."""
    import httpx

    from tweets import feeds

    author_id, token, follower_ids = author
    client = feeds.redis_client()
    keys = [feeds.feed_key(pk) for pk in follower_ids]
    latencies: list[float] = []
    errors = 0
    with httpx.Client(base_url=base, timeout=10) as http:
        for index in range(posts):
            started = time.perf_counter()
            response = http.post(
                "/api/v1/tweets",
                json={"text": f"fan-out probe {index} {time.time()}"},
                headers={"Authorization": f"Bearer {token}"},
            )
            if response.status_code != 201:
                errors += 1
                continue
            member = f"{response.json()['id']}:{author_id}"
            # Polling 5,000 feeds in a loop would take a core from the worker on this machine:
            # wait for the feed written last (the oldest follow, in the last chunk), then check
            # every feed, and poll only those still missing.
            missing = keys
            while client.zscore(keys[-1], member) is None and time.perf_counter() - started < 10:
                time.sleep(0.002)
            while missing and time.perf_counter() - started < 10:
                pipe = client.pipeline(transaction=False)
                for key in missing:
                    pipe.zscore(key, member)
                missing = [key for key, score in zip(missing, pipe.execute(), strict=True) if score is None]
                if missing:
                    time.sleep(0.01)
            if missing:
                errors += 1
            else:
                latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(0.2)
    return {
        "requests": posts,
        "rps": float("nan"),
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "max": max(latencies) if latencies else float("nan"),
        "errors": errors,
        "cpu_ms": float("nan"),
        "within_1s": sum(1 for value in latencies if value <= 1000),
        "feeds": len(keys),
    }
