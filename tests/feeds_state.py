"""Resetting the Redis home feeds between tests (ids are reused between test databases)."""

from __future__ import annotations

from django.conf import settings

from tweets import feeds


def forget_feeds() -> None:
    """No Redis home feeds of ours left, and no memory of an earlier Redis failure."""
    feeds.reset_redis_state()
    if settings.REDIS_URL:
        try:
            client = feeds.redis_client()
            keys = list(client.scan_iter(match=f"{feeds.key_prefix()}:*", count=1000))
            if keys:
                client.delete(*keys)
        except Exception:  # Redis down: the tests that need it fail on their own
            pass
