"""Rate limits for the whole API, modelled on Mastodon's (rack-attack) throttles.

Each limit is a GCRA bucket (``store.py``): ``N/period`` lets a client spend N requests at once and
then one every ``period / N``, with no window edges to burst across. All the limits of a request are
checked and counted in one Redis round trip (a Lua script), shared by every server process; without
Redis, in this process's local-memory cache. The token check of the request's JWT (its version and
family, ``accounts.authentication.revocation_read_for``) goes in the same round trip. Limits and rules live in settings:

- ``RATE_LIMITS``: ``{name: {"rate": "N/<k><unit>", "per": "ip" | "user" | "user_or_ip" | "field:<name>"}}``
- ``RATE_LIMIT_RULES``: ``[(method or "*", path regex, [limit names])]``: every rule that matches a
  request applies; the ``api`` limit applies to every /api/ request.

Every API response carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``
(epoch seconds when the whole budget is back) for the general ``api`` limit. A request over any limit
gets 429 in the error envelope with ``Retry-After`` and those headers for the limit it exceeded. The
middleware sits after CORS, so browsers can read a 429, and CORS preflights are never counted. When
Redis is unavailable the limits fail open (requests pass, a warning is logged at most every 30 s):
an outage of Redis must not take the API down. Client addresses come from ``clientip.client_network``
(``TRUSTED_PROXY_COUNT``; an IPv6 client counts by its /64, ``RATE_LIMIT_IPV6_PREFIX``).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from collections.abc import Callable
from functools import lru_cache

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from ..clientip import client_network
from ..errors import error_json_response
from .store import Limit, Outcome, check, check_and_read

__all__ = ["Limit", "Outcome", "RateLimitMiddleware", "check", "hit", "parse_rate", "request_user_id"]

logger = logging.getLogger("twitterclone.ratelimit")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@lru_cache(maxsize=64)
def parse_rate(rate: str) -> tuple[int, int]:
    """``"300/5m"`` -> (300, 300 seconds). Units s, m (also "min"), h, d, with an optional multiplier."""
    number, period = rate.split("/")
    match = re.fullmatch(r"(\d*)\s*([smhd])\w*", period.strip())
    if not match or int(number) <= 0:
        raise ValueError(f"bad rate {rate!r}")
    multiplier = int(match.group(1) or 1)
    return int(number), multiplier * _UNITS[match.group(2)]


def request_user_id(request: HttpRequest) -> str | None:
    """The user id of a valid Bearer access token: for a JWT without touching the database (the
    one decode of the request's token, shared with DRF's authentication: ``access_claims``,
    memoized); for a Mastodon client's OAuth token, one indexed query, shared with the
    authentication (``mastodon_api.tokens.oauth_token_of_request``)."""
    from rest_framework_simplejwt.settings import api_settings as jwt_settings

    from accounts.authentication import access_claims

    claims = access_claims(request)
    user_id = claims.get(jwt_settings.USER_ID_CLAIM) if claims else None
    if user_id is None:
        # Not a JWT: perhaps a Mastodon client's OAuth token (no dots, unlike a JWT).
        header = request.META.get("HTTP_AUTHORIZATION", "")
        raw = header[7:].strip() if header.startswith("Bearer ") else ""
        if raw and "." not in raw:
            from mastodon_api.tokens import oauth_token_user_id

            user_id = oauth_token_user_id(request, raw)
    return str(user_id) if user_id is not None else None


def _field(request: HttpRequest, name: str) -> str | None:
    content_type = request.META.get("CONTENT_TYPE", "")
    value = None
    try:
        if content_type.startswith("application/json"):
            body = orjson.loads(request.body or b"{}")
            value = body.get(name) if isinstance(body, dict) else None
        elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = request.POST.get(name)
    except Exception:  # unreadable bodies are rejected later by the parser with a 400
        return None
    if not isinstance(value, str) or not value.strip():
        return None
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _identity(request: HttpRequest, per: str) -> str | None:
    if per == "ip":
        return f"ip:{client_network(request)}"
    if per == "user":
        user_id = request_user_id(request)
        return f"user:{user_id}" if user_id else None
    if per == "user_or_ip":
        user_id = request_user_id(request)
        return f"user:{user_id}" if user_id else f"ip:{client_network(request)}"
    if per.startswith("field:"):
        value = _field(request, per.split(":", 1)[1])
        return f"{per}:{value}" if value else None
    raise ValueError(f"unknown rate-limit identity {per!r}")


def limit_for(name: str, identity: str) -> Limit:
    """The configured limit ``name`` (``RATE_LIMITS``) applied to ``identity``."""
    count, period = parse_rate(settings.RATE_LIMITS[name]["rate"])
    return Limit(name=name, key=identity, limit=count, period=period)


def hit(name: str, identity: str, now: float | None = None) -> Outcome:
    """Counts one request against limit ``name`` for ``identity`` (for callers outside the middleware,
    e.g. a login form); raises when the store is unavailable."""
    return check([limit_for(name, identity)], now)[0]


_compiled: tuple[object, list[tuple[str, re.Pattern, tuple[str, ...]]]] = (None, [])


def _compiled_rules() -> list[tuple[str, re.Pattern, tuple[str, ...]]]:
    """``RATE_LIMIT_RULES`` compiled, once per value of the setting (a test that overrides it
    assigns a new list)."""
    global _compiled
    rules = settings.RATE_LIMIT_RULES
    if _compiled[0] is not rules:
        compiled = [(method.upper(), re.compile(pattern), tuple(names)) for method, pattern, names in rules]
        _compiled = (rules, compiled)
    return _compiled[1]


def limits_for(request: HttpRequest) -> list[str]:
    names = ["api"]
    for method, pattern, rule_names in _compiled_rules():
        if method in ("*", request.method) and pattern.match(request.path):
            names.extend(rule_names)
    return names


def _headers(outcome: Outcome) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(outcome.limit),
        "X-RateLimit-Remaining": str(outcome.remaining),
        "X-RateLimit-Reset": str(math.ceil(outcome.reset)),
    }


def _is_preflight(request: HttpRequest) -> bool:
    return request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META


_last_warning = 0.0


def _warn_store_unavailable() -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= 30:
        _last_warning = now
        logger.warning("rate limiting unavailable (Redis down?); letting requests through", exc_info=True)


class RateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            not settings.RATE_LIMITS_ENABLED
            or not request.path.startswith(("/api/", "/oauth/"))
            or _is_preflight(request)
        ):
            return self.get_response(request)
        limits = []
        for name in limits_for(request):
            identity = _identity(request, settings.RATE_LIMITS[name]["per"])
            if identity is not None:
                limits.append(limit_for(name, identity))
        from accounts.authentication import revocation_prefetched, revocation_read_for

        # The token check of the request's JWT goes with the limits: one round trip for both.
        read = revocation_read_for(request)
        try:
            outcomes, reply = check_and_read(limits, read)
        except Exception:
            _warn_store_unavailable()
            return self.get_response(request)
        if reply is not None:
            revocation_prefetched(request, reply)
        refused = [outcome for outcome in outcomes if not outcome.allowed]
        if refused:
            worst = max(refused, key=lambda outcome: outcome.retry_after)
            retry_after = max(1, math.ceil(worst.retry_after))
            return error_json_response(
                429,
                "throttled",
                f"Too many requests ({worst.name}). Try again in {retry_after} seconds.",
                headers={"Retry-After": str(retry_after), **_headers(worst)},
                request=request,
            )
        response = self.get_response(request)
        general = next((outcome for outcome in outcomes if outcome.name == "api"), None)
        if general is not None:
            for header, value in _headers(general).items():
                response[header] = value
        return response
