"""Revocation that really revokes: token versions, token families, logout, flushing, and the cost
of authenticating a request (one cache read, no user row)."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.models import TokenFamily, User
from accounts.sessions import tokens_flush_expired
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.mail import mailed_reset_code
from accounts.tests.tokens import past_the_grace

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/token/refresh"
LOGOUT = "/api/v1/auth/logout"
LOGOUT_ALL = "/api/v1/auth/logout_all"
ME = "/api/v1/users/me"
NEW_PASSWORD = "a-brand-new-passphrase-77"


def login(username: str) -> dict:
    response = APIClient().post(LOGIN, {"login": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def refresh(token: str):
    return APIClient().post(REFRESH, {"refresh": token}, format="json")


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def works(tokens: dict) -> tuple[bool, bool]:
    """(the access token authenticates, the refresh token rotates)"""
    return bearer(tokens["access"]).get(ME).status_code == 200, refresh(tokens["refresh"]).status_code == 200


# --- Every session ends at once ---------------------------------------------------------------------


def test_logout_all_ends_every_access_and_refresh_token_of_the_user_only():
    UserFactory(username="erin")
    UserFactory(username="frank")
    laptop, phone, other = login("erin"), login("erin"), login("frank")
    assert bearer(laptop["access"]).post(LOGOUT_ALL).status_code == 204
    assert bearer(laptop["access"]).get(ME).status_code == 401
    assert bearer(phone["access"]).get(ME).status_code == 401
    assert refresh(laptop["refresh"]).status_code == 401
    assert refresh(phone["refresh"]).status_code == 401
    assert works(other) == (True, True)
    assert works(login("erin")) == (True, True)  # logging in again works


def test_logout_all_needs_authentication():
    response = APIClient().post(LOGOUT_ALL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_password_change_ends_access_tokens_too():
    UserFactory(username="erin")
    laptop, phone = login("erin"), login("erin")
    response = bearer(laptop["access"]).post(
        "/api/v1/auth/password/change", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 204
    assert bearer(phone["access"]).get(ME).status_code == 401
    assert bearer(laptop["access"]).get(ME).status_code == 401
    assert refresh(phone["refresh"]).status_code == 401


def test_password_reset_ends_access_tokens_too():
    user = UserFactory(username="erin")
    session = login("erin")
    services.password_reset_code_send(email=user.email)  # what the request's task does
    code = mailed_reset_code(user.email)
    services.password_reset_confirm(email=user.email, code=code, new_password=NEW_PASSWORD)
    assert works(session) == (False, False)


def test_a_password_set_anywhere_ends_sessions():
    # The admin's password form and manage.py changepassword do this: set_password + save.
    user = UserFactory(username="erin")
    session = login("erin")
    user = User.objects.get(pk=user.pk)
    user.set_password(NEW_PASSWORD)
    user.save()
    assert works(session) == (False, False)


def test_a_stale_instance_saved_later_does_not_restore_the_old_version():
    user = UserFactory(username="erin")
    stale = User.objects.get(pk=user.pk)
    session = login("erin")
    services.sessions_revoke(user=user)
    stale.bio = "edited in the admin from a page opened before"
    stale.save()
    assert User.objects.get(pk=user.pk).token_version == 1
    assert works(session) == (False, False)


def test_tokens_minted_before_a_suspension_commit_are_refused():
    # Login checked the user and read version 0; a suspension then bumps it to 1.
    from moderation.services import user_suspend

    user = UserFactory(username="erin")
    checked = User.objects.get(pk=user.pk)
    user_suspend(user=user, moderator=UserFactory(is_staff=True, is_superuser=True), reason="spam")
    late = services.tokens_for(checked)
    assert works(late) == (False, False)


# --- Refresh-token families -------------------------------------------------------------------------


def test_reuse_of_a_rotated_refresh_token_revokes_the_whole_family():
    UserFactory(username="erin")
    stolen = login("erin")
    other_device = login("erin")
    rotated = refresh(stolen["refresh"]).json()  # the legitimate client rotates
    assert works({"access": rotated["access"], "refresh": rotated["refresh"]})[0]

    past_the_grace(stolen["refresh"])
    reuse = refresh(stolen["refresh"])  # the thief presents the old one, later
    assert reuse.status_code == 401
    assert reuse.json()["error"]["code"] == "token_not_valid"
    # Every token descended from that login is dead, access tokens included...
    assert refresh(rotated["refresh"]).status_code == 401
    assert bearer(rotated["access"]).get(ME).status_code == 401
    assert bearer(stolen["access"]).get(ME).status_code == 401
    family = TokenFamily.objects.get(pk=claims(rotated["refresh"])["fam"])
    assert family.revoked_at is not None and family.revoked_reason == "reuse"
    # ...and the user's other logins are not.
    assert works(other_device) == (True, True)


def test_rotation_keeps_the_family_and_the_version():
    user = UserFactory(username="erin")
    first = login("erin")
    second = refresh(first["refresh"]).json()
    old, new = claims(first["refresh"]), claims(second["refresh"])
    assert old["fam"] == new["fam"] and new["ver"] == User.objects.get(pk=user.pk).token_version
    assert claims(second["access"])["fam"] == new["fam"]
    assert TokenFamily.objects.filter(user=user).count() == 1


# --- Logout -----------------------------------------------------------------------------------------


def test_logout_ends_that_session_only():
    UserFactory(username="erin")
    laptop, phone = login("erin"), login("erin")
    assert bearer(laptop["access"]).post(LOGOUT, {"refresh": laptop["refresh"]}, format="json").status_code == 204
    assert works(laptop) == (False, False)
    assert works(phone) == (True, True)


def _forged(payload: dict) -> str:
    return jwt.encode(payload, "not-our-signing-key-but-32-bytes-long", algorithm="HS256")


def test_logout_with_a_forged_token_naming_another_users_token_changes_nothing():
    # The attacker copies the victim's token id (jti, family) into a token with their own user id,
    # signed with a key of their own. Before, the unverified id was trusted and the victim's token
    # blacklisted.
    UserFactory(username="victim")
    attacker = UserFactory(username="attacker")
    victim = login("victim")
    forged = {**claims(victim["refresh"]), "user_id": str(attacker.pk)}
    response = bearer(login("attacker")["access"]).post(LOGOUT, {"refresh": _forged(forged)}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["refresh"]
    assert not BlacklistedToken.objects.filter(token__jti=forged["jti"]).exists()
    assert works(victim) == (True, True)


def test_logout_with_a_forged_expired_token_changes_nothing():
    UserFactory(username="victim")
    attacker = UserFactory(username="attacker")
    victim = login("victim")
    forged = {**claims(victim["refresh"]), "user_id": str(attacker.pk), "exp": 1}
    response = bearer(login("attacker")["access"]).post(LOGOUT, {"refresh": _forged(forged)}, format="json")
    assert response.status_code == 400
    assert works(victim) == (True, True)


def test_logout_with_ones_own_expired_refresh_token_is_fine():
    user = UserFactory(username="erin")
    session = login("erin")
    token = RefreshToken()
    token["user_id"] = str(user.pk)
    token.set_exp(lifetime=-timedelta(seconds=5))
    assert bearer(session["access"]).post(LOGOUT, {"refresh": str(token)}, format="json").status_code == 204


# --- Cost of authentication ---------------------------------------------------------------------------


def test_an_authenticated_request_reads_no_user_row(django_assert_num_queries):
    user = UserFactory()
    client = bearer(services.tokens_for(user)["access"])
    assert client.get("/api/v1/notifications/unread_count").status_code == 200  # fills the version cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/notifications/unread_count")
    assert response.status_code == 200 and response.json() == {"count": 0}
    assert len(queries) == 1, [q["sql"] for q in queries]  # the count itself
    assert "accounts_user" not in queries[0]["sql"]


def test_a_view_that_needs_user_fields_loads_them_in_one_query():
    user = UserFactory(display_name="Erin")
    client = bearer(services.tokens_for(user)["access"])
    client.get("/api/v1/notifications/unread_count")  # fills the version cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ME)
    assert response.json()["display_name"] == "Erin"
    assert sum('FROM "accounts_user"' in q["sql"] for q in queries) == 1, [q["sql"] for q in queries]


def test_with_the_cache_unreachable_revocation_still_holds(settings):
    user = UserFactory(username="erin")
    session = login("erin")
    # A real Redis client against a port where nothing listens: every cache call fails.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.RATE_LIMITS_ENABLED = False
    assert bearer(session["access"]).get(ME).status_code == 200
    services.sessions_revoke(user=user)
    assert bearer(session["access"]).get(ME).status_code == 401


# --- Flushing expired records --------------------------------------------------------------------------


def test_beat_runs_the_flush_task_and_it_deletes_only_expired_rows():
    from celery import current_app

    from accounts import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["accounts-flush-expired-tokens"]
    assert entry["task"] in current_app.tasks
    assert entry["task"] == tasks.flush_expired_tokens.name

    user = UserFactory(username="erin")
    live = login("erin")
    expired = login("erin")
    refresh(expired["refresh"])  # blacklists it: one blacklisted row
    past = timezone.now() - timedelta(days=1)
    expired_jti = claims(expired["refresh"])["jti"]
    OutstandingToken.objects.filter(jti=expired_jti).update(expires_at=past)
    TokenFamily.objects.filter(pk=claims(expired["refresh"])["fam"]).update(expires_at=past)

    result = current_app.tasks[entry["task"]].delay().get()

    assert result == {"outstanding": 1, "blacklisted": 1, "families": 1}
    assert not OutstandingToken.objects.filter(jti=expired_jti).exists()
    assert OutstandingToken.objects.filter(user=user).count() == 2  # the live one and the rotated one
    assert works(live) == (True, True)
    assert tokens_flush_expired() == {"outstanding": 0, "blacklisted": 0, "families": 0}
