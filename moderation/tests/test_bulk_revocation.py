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


def test_the_admin_deactivates_many_users_and_ends_their_sessions(
    superuser, admin_client_for, django_capture_on_commit_callbacks
):
    victims = [UserFactory() for _ in range(3)]
    spared = UserFactory()
    tokens = {user.pk: tokens_for(user) for user in [*victims, spared]}
    for user in victims:  # their token versions are now cached
        me = APIClient().get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {tokens[user.pk]['access']}")
        assert me.status_code == 200
    selected = [str(user.pk) for user in [*victims, superuser]]
    client = admin_client_for(superuser)
    first = client.post(USERS, {"action": "deactivate_users", "_selected_action": selected})
    assert first.status_code == 200 and b"Deactivate users" in first.content  # the confirmation page
    assert User.objects.filter(pk__in=[u.pk for u in victims], is_active=True).count() == 3
    data = {"action": "deactivate_users", "_selected_action": selected, "confirm": "yes", "reason": "spam ring"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(USERS, data, follow=True)
    assert response.status_code == 200 and b"You cannot deactivate yourself." in response.content
    for user in victims:
        assert _works(tokens[user.pk]) == (401, 401)
        assert User.objects.get(pk=user.pk).token_version == user.token_version + 1
    assert not User.objects.filter(pk__in=[u.pk for u in victims], is_active=True).exists()
    assert User.objects.get(pk=superuser.pk).is_active
    assert _works(tokens[spared.pk]) == (200, 200)


def test_moderators_cannot_deactivate(mod_client):
    victim = UserFactory()
    data = {"action": "deactivate_users", "_selected_action": [str(victim.pk)], "confirm": "yes", "reason": "x"}
    mod_client.post(USERS, data)
    assert User.objects.get(pk=victim.pk).is_active


def test_the_deactivation_service_revokes_only_those_it_deactivates(django_capture_on_commit_callbacks):
    from accounts.services import users_deactivate

    leaving, gone, staying = UserFactory(), UserFactory(is_active=False), UserFactory()
    tokens = {user.pk: tokens_for(user) for user in (leaving, staying)}
    with django_capture_on_commit_callbacks(execute=True):
        assert users_deactivate(users=User.objects.filter(pk__in=[leaving.pk, gone.pk])) == 1
    assert _works(tokens[leaving.pk]) == (401, 401)
    assert User.objects.get(pk=leaving.pk).token_version == leaving.token_version + 1
    assert User.objects.get(pk=gone.pk).token_version == gone.token_version  # already inactive
    assert _works(tokens[staying.pk]) == (200, 200)


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
