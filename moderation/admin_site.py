"""The admin site: django-otp's OTPAdminSite (two-factor login with a TOTP device), a rate-limited
login, and 2FA required when ``ADMIN_REQUIRE_2FA`` is on (the default with ``DEBUG=false``).

With 2FA required, a staff account logs in with its password and the 6-digit code of its TOTP
device (enrol one with ``manage.py totp_enrol <username>``); one without a device cannot log in.
With it optional (development), an account without a device logs in with its password alone, and
one with a device still gives its code. Login attempts are limited per client address and per
username (``RATE_LIMITS["admin_login_ip"]`` and ``["admin_login_name"]``, the project's limiter):
over a limit, the login page answers 429 with ``Retry-After`` and nothing is checked. A query
string no changelist can run (NUL bytes, a date part out of range: ``moderation.admin_query``) is
a 400 on every admin view.
"""

from __future__ import annotations

import hashlib
import logging
import math
from functools import update_wrapper

from django.conf import settings
from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django_otp import devices_for_user, user_has_device
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from accounts.auth import user_can_authenticate
from twitterclone.clientip import client_network

from .admin_query import query_problem, selection_problem

logger = logging.getLogger("twitterclone.admin")

SUSPENDED = "This account is suspended or deactivated."
NO_DEVICE = "This account has no two-factor device: ask an administrator to run manage.py totp_enrol for it."


class AdminLoginForm(OTPAdminAuthenticationForm):
    """Password (and staff), then the code of the user's TOTP device when 2FA is required or the
    user has a device."""

    def confirm_login_allowed(self, user) -> None:
        # Django's backend lets in any active account; a suspended one is active too.
        if not user_can_authenticate(user):
            raise ValidationError(SUSPENDED, code="inactive")
        super().confirm_login_allowed(user)

    def clean(self):
        self.cleaned_data = AdminAuthenticationForm.clean(self)
        user = self.get_user()
        if user is None:
            return self.cleaned_data
        if user_has_device(user):
            self.clean_otp(user)
        elif settings.ADMIN_REQUIRE_2FA:
            raise ValidationError(NO_DEVICE, code="no_device")
        return self.cleaned_data

    def _chosen_device(self, user):
        # django-otp asks to pick a device when none is chosen (trying each would count failures
        # against all of them); an account has one TOTP device (totp_enrol), so that one is meant.
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device


def _login_limits(request: HttpRequest):
    from twitterclone.ratelimit import limit_for

    limits = [limit_for("admin_login_ip", f"ip:{client_network(request)}")]
    username = request.POST.get("username", "")
    if isinstance(username, str) and username.strip():
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        limits.append(limit_for("admin_login_name", f"field:username:{digest}"))
    return limits


def login_throttled(request: HttpRequest) -> int | None:
    """Counts one admin login attempt; the seconds to wait when over a limit, else None. Fails open
    (with a warning) when the limiter's store is unavailable, like the API's limits."""
    from twitterclone.ratelimit import check

    if not settings.RATE_LIMITS_ENABLED:
        return None
    try:
        outcomes = check(_login_limits(request))
    except Exception:
        logger.warning("rate limiting unavailable for the admin login; letting the attempt through")
        return None
    refused = [outcome for outcome in outcomes if not outcome.allowed]
    if not refused:
        return None
    return max(1, math.ceil(max(outcome.retry_after for outcome in refused)))


class TwitterAdminSite(OTPAdminSite):
    login_form = AdminLoginForm
    site_header = "twitterclone administration"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def admin_view(self, view, cacheable: bool = False):
        """Django's wrapper of every admin view, behind the query-string guard."""
        inner = super().admin_view(view, cacheable)
        model_admin = getattr(view, "__self__", None)
        checks_selection = isinstance(model_admin, ModelAdmin) and view.__name__ == "changelist_view"

        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            problem = query_problem(request.GET)
            if problem is None and checks_selection and request.method == "POST":
                problem = selection_problem(request.POST, model_admin.model)
            if problem is not None:
                return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)

    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff, not suspended (a session opened before a suspension ends with it), and
        verified with 2FA when that is required."""
        if not AdminSite.has_permission(self, request) or not user_can_authenticate(request.user):
            return False
        if not settings.ADMIN_REQUIRE_2FA:
            return True
        is_verified = getattr(request.user, "is_verified", None)
        return bool(is_verified and is_verified())

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.method == "POST":
            retry_after = login_throttled(request)
            if retry_after is not None:
                context = {**self.each_context(request), "title": "Too many attempts", "retry_after": retry_after}
                response = TemplateResponse(request, "admin/login_throttled.html", context, status=429)
                response["Retry-After"] = str(retry_after)
                return response
        return super().login(request, extra_context)
