"""No account oracle in password reset: whatever the email, both endpoints answer the same
body and status after the same work (so in the same time, within noise), and the reset code
never travels through the broker."""

from __future__ import annotations

import re
import statistics
import time

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import PasswordResetDevice, PasswordResetThrottle
from accounts.services import reset_email_key
from accounts.tests.factories import UserFactory
from accounts.tests.mail import mailed_reset_code
from outbox.models import PendingTask
from tests.brokers import celery_broker, memory_queue_messages

RESET = "/api/v1/auth/password/reset"
CONFIRM = "/api/v1/auth/password/reset/confirm"
KNOWN, UNKNOWN = "frank@example.com", "nobody@example.com"


@pytest.fixture
def frank(db):
    return UserFactory(username="frank", email=KNOWN)


@pytest.fixture
def no_rate_limits(settings):
    settings.RATE_LIMITS_ENABLED = False


def confirm(client, email: str, code: str, new_password: str):
    return client.post(CONFIRM, {"email": email, "code": code, "new_password": new_password}, format="json")


def issue_code(client, django_capture_on_commit_callbacks) -> str:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(RESET, {"email": KNOWN}, format="json").status_code == 202
    return mailed_reset_code(KNOWN)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.mark.parametrize("new_password", ["password", "123", "frank", "a-brand-new-passphrase"])
def test_confirm_with_a_wrong_code_answers_the_same_whatever_the_email_and_new_password(
    api_client, frank, new_password, django_capture_on_commit_callbacks
):
    code = issue_code(api_client, django_capture_on_commit_callbacks)
    known = confirm(api_client, KNOWN, _wrong(code), new_password)
    unknown = confirm(api_client, UNKNOWN, _wrong(code), new_password)
    assert known.status_code == unknown.status_code == 400
    assert known.json() == unknown.json()
    assert known.json()["error"]["code"] == "invalid_code"
    assert known.headers.get("Content-Type") == unknown.headers.get("Content-Type")


def test_confirm_without_any_code_issued_answers_the_same_for_a_weak_password(api_client, frank):
    """The case from the issue: no code was ever requested, any code, new_password "password"."""
    known = confirm(api_client, KNOWN, "123456", "password")
    unknown = confirm(api_client, UNKNOWN, "123456", "password")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.json()["error"]["code"] == "invalid_code"


def test_a_weak_password_with_a_wrong_code_counts_as_a_wrong_code(
    api_client, frank, django_capture_on_commit_callbacks
):
    code = issue_code(api_client, django_capture_on_commit_callbacks)
    confirm(api_client, KNOWN, _wrong(code), "password")
    assert PasswordResetThrottle.objects.get(email_key=reset_email_key(KNOWN)).failures == 1


def test_unicode_digits_are_not_a_code(api_client, frank, django_capture_on_commit_callbacks):
    issue_code(api_client, django_capture_on_commit_callbacks)
    response = confirm(api_client, KNOWN, "\u00b2" * 6, "a-brand-new-passphrase")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_code"


def test_the_code_never_travels_through_the_broker(api_client, frank, django_capture_on_commit_callbacks):
    """The request publishes only the email; the worker's task generates the code."""
    with celery_broker("memory://"):
        with django_capture_on_commit_callbacks(execute=True):
            assert api_client.post(RESET, {"email": KNOWN}, format="json").status_code == 202
        messages = memory_queue_messages()
    assert [(m["task"], m["args"]) for m in messages] == [("accounts.tasks.send_password_reset_code", [KNOWN])]
    assert not PasswordResetDevice.objects.filter(user=frank).exclude(token_hash="").exists()
    assert mail.outbox == []
    # What a worker does with the message: the code is made there, and mailed.
    from accounts.tasks import send_password_reset_code

    send_password_reset_code.apply(args=messages[0]["args"], task_id=messages[0]["id"])
    device = PasswordResetDevice.objects.get(user=frank)
    assert len(mail.outbox) == 1 and device.token_hash
    # The same message delivered twice (a redelivery) mails nothing more and keeps the code.
    send_password_reset_code.apply(args=messages[0]["args"], task_id=messages[0]["id"])
    assert len(mail.outbox) == 1
    assert PasswordResetDevice.objects.get(user=frank).token_hash == device.token_hash


@pytest.mark.django_db(transaction=True)  # real commits: the after-commit publishing is measured too
def test_a_reset_request_does_the_same_database_work_whatever_the_email(api_client, frank, no_rate_limits):
    def statements(email: str) -> list[str]:
        with celery_broker("memory://"), CaptureQueriesContext(connection) as queries:
            assert api_client.post(RESET, {"email": email}, format="json").status_code == 202
        memory_queue_messages()
        # Same statements; only the values (the email, the row's id and times) differ.
        return [re.sub(r"'[^']*'|\b\d+\b", "?", query["sql"]) for query in queries.captured_queries]

    assert statements(KNOWN) == statements(UNKNOWN)
    assert PendingTask.objects.count() == 0  # published: nothing left behind


# --- Timing --------------------------------------------------------------------------------------

ROUNDS = 60


def interleaved_medians(first, second, rounds: int = ROUNDS) -> tuple[float, float]:
    """Median seconds of ``first()`` and ``second()``, sampled alternately, each going first
    every other round (so a busy machine, and any cost of going first, slow both alike), after
    a warm-up."""
    for _ in range(5):
        first(), second()
    a, b = [], []
    for round_number in range(rounds):
        pairs = [(first, a), (second, b)]
        for call, samples in pairs if round_number % 2 else reversed(pairs):
            started = time.perf_counter()
            call()
            samples.append(time.perf_counter() - started)
    return statistics.median(a), statistics.median(b)


def assert_same_time(known: float, unknown: float) -> None:
    # Generous, so a shared machine cannot make it flake; the known-email path before the fix
    # (issuing the code and queuing the mail in the request) took over twice as long.
    assert abs(known - unknown) <= 0.35 * min(known, unknown) + 0.0015, (
        f"known {known * 1000:.2f} ms, unknown {unknown * 1000:.2f} ms"
    )


@pytest.mark.django_db(transaction=True)
def test_a_reset_request_takes_the_same_time_whatever_the_email(api_client, frank, no_rate_limits):
    with celery_broker("memory://"):

        def request(email: str):
            return lambda: api_client.post(RESET, {"email": email}, format="json")

        known, unknown = interleaved_medians(request(KNOWN), request(UNKNOWN))
        memory_queue_messages()
    assert_same_time(known, unknown)


@pytest.mark.django_db(transaction=True)
def test_a_wrong_code_takes_the_same_time_whatever_the_email(api_client, frank, no_rate_limits, settings):
    settings.PASSWORD_RESET_THROTTLE_FACTOR = 0  # every attempt is checked and counted
    settings.PASSWORD_RESET_MAX_FAILURES = 10**6  # and the code never locks
    from accounts.services import password_reset_code_send

    password_reset_code_send(email=KNOWN)
    wrong = _wrong(mailed_reset_code(KNOWN))

    def attempt(email: str):
        return lambda: confirm(api_client, email, wrong, "password")

    known, unknown = interleaved_medians(attempt(KNOWN), attempt(UNKNOWN))
    assert_same_time(known, unknown)
