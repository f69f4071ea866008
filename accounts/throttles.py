"""Rate limits of the account endpoints (rates in settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])."""

from __future__ import annotations

import hashlib

from rest_framework.throttling import SimpleRateThrottle


class ScopedIpThrottle(SimpleRateThrottle):
    """Per client IP, under the view's ``throttle_scope``."""

    def __init__(self):  # the scope is read from the view, so the rate is looked up late
        pass

    def allow_request(self, request, view):
        self.scope = getattr(view, "throttle_scope", None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self):
        # Read live (not DRF's import-time copy) so settings overrides apply, e.g. in tests.
        from rest_framework.settings import api_settings

        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def parse_rate(self, rate):
        """Like DRF's, plus a multiplier on the period: ``300/5m``, ``30/15min``, ``5/2h``."""
        if rate is None:
            return (None, None)
        number, period = rate.split("/")
        digits = "".join(ch for ch in period if ch.isdigit())
        unit = period[len(digits) :][:1]
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
        return int(number), seconds * (int(digits) if digits else 1)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": f"{self.scope}:ip", "ident": self.get_ident(request)}


class ScopedFieldThrottle(ScopedIpThrottle):
    """Per value of one request field (a login name, an email), so one account cannot be
    hammered from many IPs. The value is hashed before it becomes a cache key."""

    field = ""

    def get_cache_key(self, request, view):
        value = request.data.get(self.field) if hasattr(request, "data") else None
        if not isinstance(value, str) or not value.strip():
            return None
        digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
        return self.cache_format % {"scope": f"{self.scope}:{self.field}", "ident": digest}


class LoginNameThrottle(ScopedFieldThrottle):
    field = "login"


class EmailThrottle(ScopedFieldThrottle):
    field = "email"
