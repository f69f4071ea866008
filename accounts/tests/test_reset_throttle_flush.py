"""Password-reset throttle rows are flushed on a schedule (Celery beat) once they hold nothing back."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts import services, tasks
from accounts.models import PasswordResetThrottle
from accounts.tests.factories import UserFactory
from accounts.tests.mail import mailed_reset_code

pytestmark = pytest.mark.django_db


def _row(key: str, failures: int, ago: timedelta | None) -> PasswordResetThrottle:
    last = None if ago is None else timezone.now() - ago
    return PasswordResetThrottle.objects.create(email_key=key, failures=failures, last_failure_at=last)


def test_beat_runs_the_flush_task_hourly():
    from celery import current_app

    entry = settings.CELERY_BEAT_SCHEDULE["accounts-flush-password-reset-throttles"]
    assert entry["task"] == tasks.flush_password_reset_throttles.name
    assert entry["task"] in current_app.tasks
    assert entry["schedule"] == 3600.0


def test_the_task_deletes_only_rows_that_hold_nothing_back(settings):
    settings.PASSWORD_RESET_CODE_VALIDITY_SECONDS = 600
    settings.PASSWORD_RESET_MAX_FAILURES = 5
    settings.PASSWORD_RESET_THROTTLE_FACTOR = 1  # longest wait 16 s: the horizon is 616 s
    _row("never-failed", 0, None)
    _row("reset-after-success", 0, timedelta(seconds=5))
    _row("old-failures", 3, timedelta(seconds=700))
    _row("old-lockout", 5, timedelta(days=2))
    _row("recent-failures", 2, timedelta(seconds=60))
    _row("recent-lockout", 5, timedelta(seconds=500))
    _row("just-inside", 1, timedelta(seconds=600))
    assert tasks.flush_password_reset_throttles.apply().get() == 4
    assert set(PasswordResetThrottle.objects.values_list("email_key", flat=True)) == {
        "recent-failures",
        "recent-lockout",
        "just-inside",
    }


def test_a_lockout_still_holds_after_a_flush_while_its_code_is_live(api_client, settings):
    """The flush must not hand an attacker fresh guesses at a live code."""
    settings.RATE_LIMITS_ENABLED = False
    settings.PASSWORD_RESET_THROTTLE_FACTOR = 0  # no waits between guesses in this test
    user = UserFactory(email="erin@example.com")
    services.password_reset_code_send(email=user.email)
    code = mailed_reset_code(user.email)
    wrong = "000000" if code != "000000" else "111111"
    url = "/api/v1/auth/password/reset/confirm"
    for _ in range(settings.PASSWORD_RESET_MAX_FAILURES):
        api_client.post(url, {"email": user.email, "code": wrong, "new_password": "a-fine-new-pass-123"}, format="json")
    assert services.password_reset_throttles_flush() == 0  # the lockout row stays
    right = api_client.post(
        url, {"email": user.email, "code": code, "new_password": "a-fine-new-pass-123"}, format="json"
    )
    assert right.status_code == 400 and right.json()["error"]["code"] == "invalid_code"
