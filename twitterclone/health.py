"""Liveness and readiness probes.

- ``GET /healthz`` (liveness): the process answers. No database, no Redis: a liveness probe that
  failed whenever a dependency did would have a supervisor restart healthy processes during someone
  else's outage.
- ``GET /readyz`` (readiness): may this process take traffic? 503 when the database is unusable
  (every request would fail); 200 with ``"status": "degraded"`` when Redis is down, since REST keeps
  working without it (timelines from PostgreSQL, limits fail open, live pushes dropped).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.db import connection
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return False
    return True


@lru_cache(maxsize=4)
def _redis_client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def check_redis() -> bool | None:
    """True or False when Redis is configured, None when it is not (embedded defaults)."""
    if not settings.REDIS_URL:
        return None
    try:
        return bool(_redis_client(settings.REDIS_URL).ping())
    except Exception:
        return False


def readiness() -> tuple[int, dict[str, str]]:
    """The readiness status code and body: 503 without a usable database, ``degraded`` without Redis."""
    database_ok = check_database()
    redis_ok = check_redis()
    if not database_ok:
        status = "unavailable"
    elif redis_ok is False:
        status = "degraded"
    else:
        status = "ok"
    body = {
        "status": status,
        "database": "ok" if database_ok else "unavailable",
        "redis": "not_configured" if redis_ok is None else ("ok" if redis_ok else "unavailable"),
    }
    return (200 if database_ok else 503), body


class ProbeView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class LivenessView(ProbeView):
    @extend_schema(
        operation_id="healthz",
        tags=["health"],
        summary="Liveness: the process answers",
        description="Always 200 while the process serves requests; checks no dependency. Use it for "
        "a container health check or a supervisor's liveness probe (restart when it stops answering).",
        responses={200: inline_serializer("Liveness", {"status": serializers.ChoiceField(choices=["ok"])})},
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


READINESS = inline_serializer(
    "Readiness",
    {
        "status": serializers.ChoiceField(choices=["ok", "degraded", "unavailable"]),
        "database": serializers.ChoiceField(choices=["ok", "unavailable"]),
        "redis": serializers.ChoiceField(choices=["ok", "unavailable", "not_configured"]),
    },
)


class ReadinessView(ProbeView):
    @extend_schema(
        operation_id="readyz",
        tags=["health"],
        summary="Readiness: may this process take traffic",
        description="200 `ok` when PostgreSQL and Redis answer; 200 `degraded` when Redis is down (REST "
        "keeps working without it); 503 `unavailable` when the database is unusable. Use it for a load "
        "balancer's health check (take the process out of rotation on 503).",
        responses={
            200: OpenApiResponse(READINESS, description="Ready (`ok`, or `degraded` without Redis)."),
            503: OpenApiResponse(READINESS, description="Not ready: the database is unusable."),
        },
    )
    def get(self, request: Request) -> Response:
        status, body = readiness()
        return Response(body, status=status)


healthz = LivenessView.as_view()
readyz = ReadinessView.as_view()
