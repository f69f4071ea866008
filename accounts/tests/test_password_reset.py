from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import PasswordResetDevice, PasswordResetThrottle
from accounts.services import reset_email_key
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.mail import mailed_reset_code

pytestmark = pytest.mark.django_db

RESET = "/api/v1/auth/password/reset"
CONFIRM = "/api/v1/auth/password/reset/confirm"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/token/refresh"
NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.fixture(autouse=True)
def _setup(settings, django_capture_on_commit_callbacks):
    settings.PASSWORD_RESET_THROTTLE_FACTOR = 0  # growing delays are tested on their own below
    global _capture
    _capture = django_capture_on_commit_callbacks


def request_code(client, email="frank@example.com") -> str:
    mail.outbox.clear()
    with _capture(execute=True):  # the email task is sent on commit
        response = client.post(RESET, {"email": email}, format="json")
    assert response.status_code == 202
    assert len(mail.outbox) == 1
    return mailed_reset_code(email)


def confirm(client, code, email="frank@example.com", password=NEW_PASSWORD):
    return client.post(CONFIRM, {"email": email, "code": code, "new_password": password}, format="json")


@pytest.fixture
def frank(db):
    return UserFactory(username="frank", email="frank@example.com")


def test_reset_emails_a_six_digit_code_and_sets_the_password(api_client, frank):
    code = request_code(api_client)
    assert mail.outbox[0].to == ["frank@example.com"]
    assert confirm(api_client, code).status_code == 204
    frank.refresh_from_db()
    assert frank.check_password(NEW_PASSWORD)


def test_reset_answers_the_same_for_unknown_email(api_client, frank):
    with _capture(execute=True):
        known = api_client.post(RESET, {"email": "frank@example.com"}, format="json")
        unknown = api_client.post(RESET, {"email": "nobody@example.com"}, format="json")
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert len(mail.outbox) == 1


def test_reset_email_lookup_ignores_case(api_client, frank):
    code = request_code(api_client, email="FRANK@Example.com")
    assert confirm(api_client, code).status_code == 204


def test_code_is_single_use(api_client, frank):
    code = request_code(api_client)
    assert confirm(api_client, code).status_code == 204
    response = confirm(api_client, code, password="yet-another-passphrase")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_code"
    frank.refresh_from_db()
    assert frank.check_password(NEW_PASSWORD)


def test_code_expires_after_ten_minutes(api_client, frank):
    code = request_code(api_client)
    PasswordResetDevice.objects.filter(user=frank).update(valid_until=timezone.now() - timedelta(seconds=1))
    assert confirm(api_client, code).status_code == 400
    frank.refresh_from_db()
    assert frank.check_password(PASSWORD)


def test_code_validity_is_ten_minutes(api_client, frank):
    before = timezone.now()
    request_code(api_client)
    device = PasswordResetDevice.objects.get(user=frank)
    assert timedelta(minutes=9, seconds=59) < device.valid_until - before <= timedelta(minutes=10, seconds=2)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_device_locks_after_five_wrong_codes(api_client, frank):
    code = request_code(api_client)
    for _ in range(5):
        assert confirm(api_client, _wrong(code)).status_code == 400
    # Even the right code no longer works: the code is void.
    assert confirm(api_client, code).status_code == 400
    frank.refresh_from_db()
    assert frank.check_password(PASSWORD)
    # A new code works again.
    assert confirm(api_client, request_code(api_client)).status_code == 204


def test_wrong_codes_impose_growing_delays(api_client, frank, settings):
    settings.PASSWORD_RESET_THROTTLE_FACTOR = 60
    code = request_code(api_client)
    assert confirm(api_client, _wrong(code)).status_code == 400
    throttle = PasswordResetThrottle.objects.get(email_key=reset_email_key("frank@example.com"))
    assert throttle.failures == 1
    # Within the delay even the right code is not checked, and the attempt is not counted.
    assert confirm(api_client, code).status_code == 400
    throttle.refresh_from_db()
    assert throttle.failures == 1
    # After the delay the right code works.
    PasswordResetThrottle.objects.filter(pk=throttle.pk).update(last_failure_at=timezone.now() - timedelta(seconds=61))
    assert confirm(api_client, code).status_code == 204


def test_the_delay_doubles_with_each_wrong_code(api_client, frank, settings):
    settings.PASSWORD_RESET_THROTTLE_FACTOR = 60
    code = request_code(api_client)
    throttle = PasswordResetThrottle.objects.filter(email_key=reset_email_key("frank@example.com"))

    def last_failure_ago(seconds: int) -> None:
        throttle.update(last_failure_at=timezone.now() - timedelta(seconds=seconds))

    assert confirm(api_client, _wrong(code)).status_code == 400  # 1 failure: wait 60 s
    last_failure_ago(61)
    assert confirm(api_client, _wrong(code)).status_code == 400  # 2 failures: wait 120 s
    last_failure_ago(119)
    assert confirm(api_client, code).status_code == 400  # too early: not even checked
    assert throttle.get().failures == 2
    last_failure_ago(121)
    assert confirm(api_client, _wrong(code)).status_code == 400  # 3 failures: wait 240 s
    last_failure_ago(239)
    assert confirm(api_client, code).status_code == 400
    last_failure_ago(241)
    assert confirm(api_client, code).status_code == 204


def test_failures_look_the_same_for_unknown_emails(api_client, frank):
    request_code(api_client)
    known = confirm(api_client, "000000")
    unknown = confirm(api_client, "000000", email="nobody@example.com")
    assert known.status_code == unknown.status_code == 400
    assert known.json() == unknown.json()


def test_reset_revokes_every_refresh_token(api_client, frank):
    tokens = api_client.post(LOGIN, {"login": "frank", "password": PASSWORD}, format="json").json()
    assert confirm(api_client, request_code(api_client)).status_code == 204
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401
    assert api_client.post(LOGIN, {"login": "frank", "password": NEW_PASSWORD}, format="json").status_code == 200


def test_weak_new_password_is_refused_and_code_stays_usable(api_client, frank):
    code = request_code(api_client)
    response = confirm(api_client, code, password="123")
    assert response.status_code == 400
    assert "new_password" in response.json()["error"]["fields"]
    assert confirm(api_client, code).status_code == 204


def test_new_code_replaces_the_old_one(api_client, frank):
    first = request_code(api_client)
    second = request_code(api_client)
    if first != second:
        assert confirm(api_client, first).status_code == 400
    assert confirm(api_client, second).status_code == 204


def test_suspended_user_gets_no_code(api_client):
    UserFactory(username="frank", email="frank@example.com", is_suspended=True)
    with _capture(execute=True):
        assert api_client.post(RESET, {"email": "frank@example.com"}, format="json").status_code == 202
    assert mail.outbox == []


def test_email_is_sent_only_after_commit(frank, django_capture_on_commit_callbacks):
    """Rolled back: no email. Committed: the callback sends it."""
    from django.db import transaction

    from accounts.services import password_reset_request

    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        password_reset_request(email="frank@example.com")
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_reset_is_rate_limited_per_email(api_client, frank, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset_email": {"rate": "2/h", "per": "field:email"}}
    for _ in range(2):
        assert api_client.post(RESET, {"email": "frank@example.com"}, format="json").status_code == 202
    response = api_client.post(RESET, {"email": "frank@example.com"}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert "Retry-After" in response.headers


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", ""])
def test_malformed_codes_are_400(api_client, frank, code):
    response = confirm(api_client, code)
    assert response.status_code == 400
