"""Like -> frame latency on the production layout (deploy/layout.py): nginx in front of granian
HTTP processes and daphne, on PostgreSQL + Redis. The author's notification socket is held by a
daphne; a follower likes the author's tweets one after another through the proxy (each like is
handled by an HTTP server thread, which sends the notification through the Redis channel layer), and
each latency runs from just before the like is sent to the frame's arrival on the socket.

    .venv/bin/python bench/like_latency.py --database-url postgres://postgres@127.0.0.1:5432/bench_deploy \\
        --redis-url redis://127.0.0.1:6379/11 --likes 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import percentile  # noqa: E402
from bench.timeline import BENCH_SECRET_KEY, ensure_database, setup_django  # noqa: E402

PASSWORD = "correct-horse-battery-staple"


async def measure(base: str, likes: int) -> tuple[list[float], list[float], float]:
    import httpx
    import websockets

    tag = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def register(name: str) -> dict:
            body = {"username": f"{name}_{tag}", "email": f"{name}_{tag}@example.com", "password": PASSWORD}
            response = await client.post("/api/v1/auth/register", json=body)
            response.raise_for_status()
            return response.json()

        author, fan = await register("author"), await register("fan")
        author_headers = {"Authorization": f"Bearer {author['access']}"}
        fan_headers = {"Authorization": f"Bearer {fan['access']}"}
        tweets = []
        for i in range(likes):
            response = await client.post("/api/v1/tweets", json={"text": f"tweet {i}"}, headers=author_headers)
            response.raise_for_status()
            tweets.append(response.json()["id"])
        url = base.replace("http://", "ws://", 1) + "/ws/notifications/"
        latencies: list[float] = []
        responses: list[float] = []  # the like's own HTTP round trip, part of every latency
        async with websockets.connect(url, subprotocols=["bearer", author["access"]]) as socket:
            await socket.send(json.dumps({"type": "ping"}))
            await socket.recv()
            started_all = time.perf_counter()
            for tweet in tweets:
                sent = time.perf_counter()
                response = await client.post(f"/api/v1/tweets/{tweet}/like", headers=fan_headers)
                response.raise_for_status()
                responses.append((time.perf_counter() - sent) * 1000)
                async with asyncio.timeout(10):
                    while json.loads(await socket.recv())["type"] != "notification":
                        pass
                latencies.append((time.perf_counter() - sent) * 1000)
            elapsed = time.perf_counter() - started_all
    return latencies, responses, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_deploy")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--likes", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="HTTP processes behind nginx")
    args = parser.parse_args()

    ensure_database(args.database_url)
    setup_django(args.database_url, args.redis_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from deploy.layout import run_layout

    env = {
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CACHE_KEY_PREFIX": "bench_like",
        "CHANNEL_LAYER_PREFIX": "bench_like",
        "LOG_LEVEL": "ERROR",
        "RATE_LIMITS_ENABLED": "false",
    }
    with run_layout(env, http_processes=args.workers, ws_processes=1, celery_worker=True) as layout:
        latencies, responses, elapsed = asyncio.run(measure(layout.base_url, args.likes))
    print(
        f"like -> frame through nginx ({args.workers} granian + 1 daphne + Celery worker), {len(latencies)} likes "
        f"one after another in {elapsed:.1f}s: p50 {percentile(latencies, 50):.1f} ms, "
        f"p95 {percentile(latencies, 95):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
        f"max {max(latencies):.1f} ms; the like's HTTP response alone: p50 {percentile(responses, 50):.1f} ms, "
        f"p99 {percentile(responses, 99):.1f} ms"
    )


if __name__ == "__main__":
    main()
