"""Deactivation and suspension in bulk end sessions, and the admin refuses suspended staff."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import tokens_for
from accounts.tests.factories import PASSWORD, UserFactory
from moderation.admin_site import SUSPENDED

from .factories import make_moderator

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"


def _works(tokens: dict[str, str]) -> tuple[int, int]:
    """(status of GET /users/me with the access token, status of a refresh with the refresh token)."""
    client = APIClient()
    me = client.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}").status_code
    refreshed = client.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json").status_code
    return me, refreshed


def test_a_bulk_admin_suspension_revokes_every_selected_users_tokens(mod_client, django_capture_on_commit_callbacks):
    users = [UserFactory() for _ in range(3)]
    spared = UserFactory()
    tokens = {user.pk: tokens_for(user) for user in [*users, spared]}
    data = {
        "action": "suspend_users",
        "_selected_action": [str(user.pk) for user in users],
        "confirm": "yes",
        "reason": "spam ring",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert mod_client.post(USERS, data).status_code == 302
    for user in users:
        assert _works(tokens[user.pk]) == (401, 401)
    assert _works(tokens[spared.pk]) == (200, 200)


@pytest.mark.parametrize("change", [{"is_active": False}, {"is_suspended": True}])
def test_a_queryset_update_that_deactivates_or_suspends_revokes_sessions(change, django_capture_on_commit_callbacks):
    victims = [UserFactory() for _ in range(2)]
    spared = UserFactory()
    tokens = {user.pk: tokens_for(user) for user in [*victims, spared]}
    for user in victims:  # their token versions are now cached
        me = APIClient().get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {tokens[user.pk]['access']}")
        assert me.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert User.objects.filter(pk__in=[u.pk for u in victims]).update(**change) == 2
    for user in victims:
        assert _works(tokens[user.pk]) == (401, 401)
        assert User.objects.get(pk=user.pk).token_version == user.token_version + 1
    assert _works(tokens[spared.pk]) == (200, 200)


def test_a_bulk_update_that_deactivates_revokes_only_the_deactivated(django_capture_on_commit_callbacks):
    leaving, staying = UserFactory(), UserFactory()
    tokens = {user.pk: tokens_for(user) for user in (leaving, staying)}
    versions = {user.pk: user.token_version for user in (leaving, staying)}
    leaving.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.bulk_update([leaving, staying], ["is_active"])
    assert _works(tokens[leaving.pk]) == (401, 401)
    assert User.objects.get(pk=leaving.pk).token_version == versions[leaving.pk] + 1
    assert User.objects.get(pk=staying.pk).token_version == versions[staying.pk]
    assert _works(tokens[staying.pk]) == (200, 200)


def test_an_update_of_other_fields_revokes_nothing():
    user = UserFactory()
    tokens = tokens_for(user)
    User.objects.filter(pk=user.pk).update(bio="new", is_active=True)
    assert _works(tokens) == (200, 200)


def test_a_suspended_staff_users_admin_session_ends(settings):
    settings.ADMIN_REQUIRE_2FA = False
    moderator = make_moderator(username="mod")
    client = Client()
    client.force_login(moderator)
    assert client.get("/admin/").status_code == 200
    User._base_manager.filter(pk=moderator.pk).update(is_suspended=True)  # the flag alone
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_a_suspended_staff_user_cannot_log_into_the_admin(settings):
    settings.ADMIN_REQUIRE_2FA = False
    make_moderator(username="mod", is_suspended=True)
    client = Client()
    response = client.post("/admin/login/", {"username": "mod", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 200 and SUSPENDED in response.content.decode()
    assert client.get("/admin/").status_code == 302
