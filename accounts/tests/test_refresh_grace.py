"""The refresh-token reuse grace window: a rotated refresh token presented again within
``REFRESH_TOKEN_REUSE_GRACE_SECONDS`` of its rotation (the same client, two refreshes in flight)
gets a fresh pair of the same family instead of revoking the family."""

import threading

import jwt
import pytest
from django.db import connections
from rest_framework.test import APIClient

from accounts.models import TokenFamily, User
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.tokens import past_the_grace

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/token/refresh"
ME = "/api/v1/users/me"


def _login(username: str) -> dict:
    response = APIClient().post(LOGIN, {"login": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _refresh(token: str):
    return APIClient().post(REFRESH, {"refresh": token}, format="json")


def _family(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["fam"]


def _me(access: str) -> int:
    return APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {access}").status_code


@pytest.mark.django_db
def test_a_second_refresh_within_the_grace_gets_a_fresh_pair_of_the_same_family(settings):
    settings.RATE_LIMITS_ENABLED = False
    UserFactory(username="erin")
    first = _login("erin")
    one = _refresh(first["refresh"])
    two = _refresh(first["refresh"])  # the same client again, its first answer lost
    assert one.status_code == two.status_code == 200, two.content
    one, two = one.json(), two.json()
    assert one["refresh"] != two["refresh"]
    assert _family(one["refresh"]) == _family(two["refresh"]) == _family(first["refresh"])
    assert TokenFamily.objects.get(pk=_family(first["refresh"])).revoked_at is None
    for pair in (one, two):  # both pairs work, each refresh token rotates
        assert _me(pair["access"]) == 200
        assert _refresh(pair["refresh"]).status_code == 200


@pytest.mark.django_db
def test_after_the_grace_the_same_token_is_reuse_and_revokes_the_family(settings):
    settings.RATE_LIMITS_ENABLED = False
    UserFactory(username="erin")
    first = _login("erin")
    rotated = _refresh(first["refresh"]).json()
    past_the_grace(first["refresh"])
    assert _refresh(first["refresh"]).status_code == 401
    assert TokenFamily.objects.get(pk=_family(first["refresh"])).revoked_reason == "reuse"
    assert _refresh(rotated["refresh"]).status_code == 401 and _me(rotated["access"]) == 401


@pytest.mark.django_db
def test_the_grace_never_revives_a_logged_out_or_revoked_session(settings):
    settings.RATE_LIMITS_ENABLED = False
    UserFactory(username="erin")
    session = _login("erin")
    logout = APIClient().post(
        "/api/v1/auth/logout",
        {"refresh": session["refresh"]},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {session['access']}",
    )
    assert logout.status_code in (200, 204), logout.content
    assert _refresh(session["refresh"]).status_code == 401  # blacklisted just now, by logout

    other = _login("erin")
    _refresh(other["refresh"])  # rotated: within the grace from here on
    user = User.objects.get(username="erin")
    from accounts.services import sessions_revoke

    sessions_revoke(user=user)
    assert _refresh(other["refresh"]).status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_all_succeed_in_one_live_family(settings):
    """Threads on PostgreSQL refresh one token at the same instant: the row lock serialises
    them; the first rotates it, the others fall within the grace. No family is revoked."""
    settings.RATE_LIMITS_ENABLED = False
    UserFactory(username="erin")
    first = _login("erin")
    threads_count = 6
    barrier = threading.Barrier(threads_count)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def client() -> None:
        try:
            barrier.wait(10)
            response = _refresh(first["refresh"])
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=client) for _ in range(threads_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert [status for status, _ in results] == [200] * threads_count, results
    refresh_tokens = {body["refresh"] for _, body in results}
    assert len(refresh_tokens) == threads_count
    assert {_family(token) for token in refresh_tokens} == {_family(first["refresh"])}
    assert TokenFamily.objects.get(pk=_family(first["refresh"])).revoked_at is None
    assert all(_refresh(token).status_code == 200 for token in refresh_tokens)
