"""Rate limit of report filing (``REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['report']``)."""

from __future__ import annotations

from rest_framework.throttling import UserRateThrottle


class ReportRateThrottle(UserRateThrottle):
    """Per user. The rate is read live, not from DRF's import-time copy, so overrides apply."""

    scope = "report"

    def get_rate(self):
        from rest_framework.settings import api_settings

        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
