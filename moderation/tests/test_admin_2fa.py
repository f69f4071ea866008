"""Two-factor login to the admin (django-otp TOTP devices, OTPAdminSite), the enrol command, and
the rate limit on /admin/login/ (per client address and per username)."""

from __future__ import annotations

import base64
from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import PASSWORD, UserFactory
from moderation.admin_site import NO_DEVICE

from .factories import make_moderator

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


def enrol(username: str, *extra: str) -> str:
    """Runs the command; returns the otpauth:// URI it printed."""
    out = StringIO()
    call_command("totp_enrol", username, *extra, stdout=out)
    uris = [line for line in out.getvalue().splitlines() if line.startswith("otpauth://")]
    assert len(uris) == 1, out.getvalue()
    return uris[0]


def code_from(uri: str, *, drift: int = 0) -> str:
    """What an authenticator app shows for this provisioning URI (RFC 6238), computed from the
    URI's secret alone."""
    query = parse_qs(urlparse(uri).query)
    secret = query["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, step=int(query['period'][0]), digits=int(query['digits'][0]), drift=drift):06d}"


def attempt(client: Client, username: str, password: str = PASSWORD, token: str = "", **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, "otp_token": token, "next": "/admin/"}, **extra
    )


def in_admin(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


# --- The enrol command ---------------------------------------------------------------------------------


def test_enrol_prints_a_provisioning_uri_for_a_confirmed_device():
    moderator = make_moderator(username="mod")
    uri = enrol("mod")
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert parsed.path == "/twitterclone%3Amod" or parsed.path == "/twitterclone:mod"
    query = parse_qs(parsed.query)
    assert query["issuer"] == ["twitterclone"] and query["digits"] == ["6"] and query["period"] == ["30"]
    device = TOTPDevice.objects.get(user=moderator)
    assert device.confirmed and device.verify_token(code_from(uri))


def test_enrol_refuses_non_staff_unknown_users_and_a_second_device_without_replace():
    UserFactory(username="plain")
    with pytest.raises(CommandError, match="not staff"):
        enrol("plain")
    with pytest.raises(CommandError, match="No user"):
        enrol("nobody")
    make_moderator(username="mod")
    first = enrol("mod")
    with pytest.raises(CommandError, match="already has"):
        enrol("mod")
    second = enrol("mod", "--replace")
    assert parse_qs(urlparse(first).query)["secret"] != parse_qs(urlparse(second).query)["secret"]
    assert TOTPDevice.objects.filter(user__username="mod").count() == 1


# --- Login with 2FA required (production) ----------------------------------------------------------------


@pytest.fixture
def required(settings):
    settings.ADMIN_REQUIRE_2FA = True


def test_required_a_valid_code_logs_in(required):
    make_moderator(username="mod")
    uri = enrol("mod")
    client = Client()
    response = attempt(client, "mod", token=code_from(uri))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert in_admin(client)


@pytest.mark.parametrize("token", ["", "000000", "12345", "abcdef"])
def test_required_no_or_a_wrong_code_does_not_log_in(required, token):
    make_moderator(username="mod")
    uri = enrol("mod")
    if token == "000000" and code_from(uri) == "000000":
        token = "111111"
    client = Client()
    response = attempt(client, "mod", token=token)
    assert response.status_code == 200  # the form again, with an error
    assert response.context["form"].errors
    assert not in_admin(client)


def test_required_a_code_from_another_users_device_does_not_log_in(required):
    make_moderator(username="mod")
    make_moderator(username="other")
    enrol("mod")
    other_uri = enrol("other")
    client = Client()
    assert attempt(client, "mod", token=code_from(other_uri)).status_code == 200
    assert not in_admin(client)


def test_required_staff_without_a_device_cannot_log_in(required):
    make_moderator(username="mod")
    client = Client()
    response = attempt(client, "mod")
    assert response.status_code == 200
    assert NO_DEVICE in response.content.decode()
    assert not in_admin(client)


def test_required_a_password_only_session_is_not_enough(required):
    # A session logged in without the second factor (e.g. from before 2FA was turned on).
    moderator = make_moderator(username="mod")
    enrol("mod")
    client = Client()
    client.force_login(moderator)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- 2FA optional (the embedded development defaults) ------------------------------------------------------


def test_optional_a_password_logs_in_staff_without_a_device(settings):
    settings.ADMIN_REQUIRE_2FA = False
    make_moderator(username="mod")
    client = Client()
    assert attempt(client, "mod").status_code == 302
    assert in_admin(client)


def test_optional_staff_with_a_device_still_give_its_code(settings):
    settings.ADMIN_REQUIRE_2FA = False
    make_moderator(username="mod")
    uri = enrol("mod")
    client = Client()
    assert attempt(client, "mod").status_code == 200
    assert not in_admin(client)
    assert attempt(client, "mod", token=code_from(uri)).status_code == 302
    assert in_admin(client)


def test_the_setting_defaults_to_required_without_debug():
    import subprocess
    import sys

    def value(debug: str) -> str:
        code = "import django; django.setup(); from django.conf import settings; print(settings.ADMIN_REQUIRE_2FA)"
        env = {"DJANGO_SETTINGS_MODULE": "twitterclone.settings", "DEBUG": debug, "SECRET_KEY": "x" * 50}
        import os

        env = {**os.environ, **env}
        env.pop("ADMIN_REQUIRE_2FA", None)
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip()

    assert value("false") == "True"
    assert value("true") == "False"


# --- Rate limit on the login form ---------------------------------------------------------------------------


@pytest.fixture
def tight_limits(settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "admin_login_ip": {"rate": "3/5m", "per": "ip"},
        "admin_login_name": {"rate": "5/1h", "per": "field:username"},
    }


def test_login_attempts_are_limited_per_address(tight_limits):
    make_moderator(username="mod")
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert attempt(client, "mod", password="wrong-password").status_code == 200
    refused = attempt(client, "mod")  # the right password: not even checked now
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "Too many login attempts" in refused.content.decode()
    assert not in_admin(client)
    # Another address is not affected.
    other = Client(REMOTE_ADDR="203.0.113.8")
    assert attempt(other, "mod").status_code == 302


def test_login_attempts_are_limited_per_username_across_addresses(tight_limits):
    make_moderator(username="mod")
    make_moderator(username="other")
    for index in range(5):
        client = Client(REMOTE_ADDR=f"198.51.100.{index}")
        assert attempt(client, "MOD", password="wrong-password").status_code == 200
    fresh = Client(REMOTE_ADDR="198.51.100.200")
    assert attempt(fresh, "mod").status_code == 429
    assert attempt(Client(REMOTE_ADDR="198.51.100.201"), "other").status_code == 302


def test_getting_the_login_page_is_not_counted(tight_limits):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(10):
        assert client.get(LOGIN).status_code == 200
