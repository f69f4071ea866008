"""GET /healthz: database and Redis status, 200 when usable, 503 when not."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return False
    return True


def check_redis() -> bool | None:
    """True or False when Redis is configured, None when it is not (embedded defaults)."""
    if not settings.REDIS_URL:
        return None
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def healthz(request: HttpRequest) -> JsonResponse:
    database_ok = check_database()
    redis_ok = check_redis()
    healthy = database_ok and redis_ok is not False
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": "ok" if database_ok else "unavailable",
        "redis": "not_configured" if redis_ok is None else ("ok" if redis_ok else "unavailable"),
    }
    return JsonResponse(body, status=200 if healthy else 503)
