"""Rate limits for the whole API, modelled on Mastodon's (rack-attack) throttles.

Fixed windows counted with atomic increments in the cache (Redis when REDIS_URL is set, so every
server process shares the counters). Limits and rules live in settings:

- ``RATE_LIMITS``: ``{name: {"rate": "N/<k><unit>", "per": "ip" | "user" | "user_or_ip" | "field:<name>"}}``
- ``RATE_LIMIT_RULES``: ``[(method or "*", path regex, [limit names])]``: every rule that matches a
  request applies; the ``api`` limit applies to every /api/ request.

Every API response carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``
(epoch seconds) for the general ``api`` limit. A request over any limit gets 429 in the error envelope
with ``Retry-After`` and those headers for the limit it exceeded. When the cache is unavailable the
limits fail open (requests pass, a warning is logged): an outage of Redis must not take the API down.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from .errors import error_json_response

logger = logging.getLogger("twitterclone.ratelimit")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@lru_cache(maxsize=64)
def parse_rate(rate: str) -> tuple[int, int]:
    """``"300/5m"`` -> (300, 300 seconds). Units s, m (also "min"), h, d, with an optional multiplier."""
    number, period = rate.split("/")
    match = re.fullmatch(r"(\d*)\s*([smhd])\w*", period.strip())
    if not match:
        raise ValueError(f"bad rate {rate!r}")
    multiplier = int(match.group(1) or 1)
    return int(number), multiplier * _UNITS[match.group(2)]


@dataclass
class Outcome:
    name: str
    limit: int
    remaining: int
    reset: int  # epoch seconds when the window ends

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0


def _client_ip(request: HttpRequest) -> str:
    if settings.RATE_LIMIT_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "unknown")


def _user_id(request: HttpRequest) -> str | None:
    """The user id of a valid Bearer access token, without touching the database."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Bearer "):
        return None
    from rest_framework_simplejwt.exceptions import TokenError
    from rest_framework_simplejwt.tokens import AccessToken

    try:
        return str(AccessToken(header[7:].strip())["user_id"])
    except (TokenError, KeyError, ValueError, TypeError):
        return None


def _field(request: HttpRequest, name: str) -> str | None:
    content_type = request.META.get("CONTENT_TYPE", "")
    value = None
    try:
        if content_type.startswith("application/json"):
            body = json.loads(request.body or b"{}")
            value = body.get(name) if isinstance(body, dict) else None
        elif content_type.startswith("application/x-www-form-urlencoded"):
            value = request.POST.get(name)
    except Exception:  # unreadable bodies are rejected later by the parser with a 400
        return None
    if not isinstance(value, str) or not value.strip():
        return None
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _identity(request: HttpRequest, per: str) -> str | None:
    if per == "ip":
        return f"ip:{_client_ip(request)}"
    if per == "user":
        user_id = _user_id(request)
        return f"user:{user_id}" if user_id else None
    if per == "user_or_ip":
        user_id = _user_id(request)
        return f"user:{user_id}" if user_id else f"ip:{_client_ip(request)}"
    if per.startswith("field:"):
        value = _field(request, per.split(":", 1)[1])
        return f"{per}:{value}" if value else None
    raise ValueError(f"unknown rate-limit identity {per!r}")


def hit(name: str, identity: str, now: float | None = None) -> Outcome:
    """Counts one request against limit ``name`` for ``identity`` and returns the state of its window."""
    limit, period = parse_rate(settings.RATE_LIMITS[name]["rate"])
    now = time.time() if now is None else now
    window = int(now // period)
    key = f"rl:{name}:{identity}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=period + 1)
        count = 1
    return Outcome(name=name, limit=limit, remaining=limit - count, reset=(window + 1) * period)


@lru_cache(maxsize=1)
def _compiled_rules(rules: tuple) -> list[tuple[str, re.Pattern, tuple[str, ...]]]:
    return [(method.upper(), re.compile(pattern), tuple(names)) for method, pattern, names in rules]


def limits_for(request: HttpRequest) -> list[str]:
    names = ["api"]
    rules = tuple((m, p, tuple(n)) for m, p, n in settings.RATE_LIMIT_RULES)
    for method, pattern, rule_names in _compiled_rules(rules):
        if method in ("*", request.method) and pattern.match(request.path):
            names.extend(rule_names)
    return names


def _headers(outcome: Outcome, now: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(outcome.limit),
        "X-RateLimit-Remaining": str(max(outcome.remaining, 0)),
        "X-RateLimit-Reset": str(outcome.reset),
    }


class RateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.RATE_LIMITS_ENABLED or not request.path.startswith("/api/"):
            return self.get_response(request)
        now = time.time()
        general: Outcome | None = None
        try:
            for name in limits_for(request):
                identity = _identity(request, settings.RATE_LIMITS[name]["per"])
                if identity is None:
                    continue
                outcome = hit(name, identity, now)
                if name == "api":
                    general = outcome
                if outcome.exceeded:
                    retry_after = max(1, int(outcome.reset - now))
                    return error_json_response(
                        429,
                        "throttled",
                        f"Too many requests ({outcome.name}). Try again in {retry_after} seconds.",
                        headers={"Retry-After": str(retry_after), **_headers(outcome, now)},
                    )
        except Exception:
            logger.warning("rate limiting unavailable (cache down?); letting the request through", exc_info=True)
        response = self.get_response(request)
        if general is not None:
            for header, value in _headers(general, now).items():
                response[header] = value
        return response
