import pytest
from django.db import IntegrityError
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.tokens import past_the_grace

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/token/refresh"
LOGOUT = "/api/v1/auth/logout"
CHANGE = "/api/v1/auth/password/change"


def register(api_client, **overrides):
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD, **overrides}
    return api_client.post(REGISTER, body, format="json")


def test_register_returns_user_and_tokens(api_client):
    response = register(api_client, display_name="Alice")
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["username"] == "alice"
    assert body["user"]["email"] == "alice@example.com"
    assert body["user"]["display_name"] == "Alice"
    assert "password" not in body["user"]
    assert str(AccessToken(body["access"])["user_id"]) == str(body["user"]["id"])
    assert User.objects.get(username="alice").check_password(PASSWORD)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": "bad name"}, "username"),
        ({"username": "x" * 31}, "username"),
        ({"username": ""}, "username"),
        ({"username": "me"}, "username"),
        ({"username": "Suggestions"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "123"}, "password"),
        ({"password": "password"}, "password"),
    ],
)
def test_register_validation_errors_use_the_envelope(api_client, overrides, field):
    response = register(api_client, **overrides)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert not User.objects.exists()


def test_register_missing_fields(api_client):
    response = api_client.post(REGISTER, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) >= {"username", "email", "password"}


@pytest.mark.parametrize(
    "overrides",
    [{"username": "ALICE", "email": "other@example.com"}, {"username": "bob", "email": "ALICE@Example.com"}],
)
def test_register_taken_username_or_email_is_conflict_regardless_of_case(api_client, overrides):
    assert register(api_client).status_code == 201
    response = register(api_client, **overrides)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "taken"
    assert User.objects.count() == 1


def test_database_enforces_case_insensitive_uniqueness():
    UserFactory(username="Carol", email="carol@example.com")
    with pytest.raises(IntegrityError):
        User.objects.create(username="carol", email="c2@example.com")


def test_database_enforces_case_insensitive_email_uniqueness():
    UserFactory(username="dave", email="Dave@Example.com")
    with pytest.raises(IntegrityError):
        User.objects.create(username="dave2", email="dave@example.com")


def test_non_json_body_is_415(api_client):
    response = api_client.post(REGISTER, "<xml/>", content_type="application/xml")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_malformed_json_is_400(api_client):
    response = api_client.post(REGISTER, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize("login_field", ["username", "email", "upper"])
def test_login_by_username_or_email(api_client, login_field):
    user = UserFactory(username="erin", email="erin@example.com")
    login = {"username": "erin", "email": "erin@example.com", "upper": "ERIN"}[login_field]
    response = api_client.post(LOGIN, {"login": login, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == user.pk
    assert body["access"] and body["refresh"]


@pytest.mark.parametrize("login", ["erin", "nobody"])
def test_login_wrong_password_or_unknown_user_is_401_and_indistinguishable(api_client, login):
    UserFactory(username="erin")
    response = api_client.post(LOGIN, {"login": login, "password": "wrong-password-1"}, format="json")
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "invalid_credentials", "message": "Invalid login or password."}}


def test_suspended_user_cannot_log_in(api_client):
    UserFactory(username="sam", is_suspended=True)
    response = api_client.post(LOGIN, {"login": "sam", "password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_suspended"


def _login(api_client, username="erin"):
    return api_client.post(LOGIN, {"login": username, "password": PASSWORD}, format="json").json()


def test_refresh_rotates_and_old_refresh_stops_working(api_client):
    UserFactory(username="erin")
    tokens = _login(api_client)
    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    new = response.json()
    assert new["refresh"] != tokens["refresh"] and new["access"]
    assert api_client.post(REFRESH, {"refresh": new["refresh"]}, format="json").status_code == 200
    past_the_grace(tokens["refresh"])  # a second use within the grace window is not reuse
    again = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "token_not_valid"


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c"])
def test_refresh_with_garbage_is_rejected(api_client, garbage):
    response = api_client.post(REFRESH, {"refresh": garbage}, format="json")
    assert response.status_code in (400, 401)
    assert "error" in response.json()


def test_access_token_is_not_a_refresh_token(api_client):
    UserFactory(username="erin")
    tokens = _login(api_client)
    response = api_client.post(REFRESH, {"refresh": tokens["access"]}, format="json")
    assert response.status_code == 401


def test_logout_revokes_the_refresh_token(api_client):
    UserFactory(username="erin")
    tokens = _login(api_client)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 204
    api_client.credentials()
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_logout_needs_authentication(api_client):
    response = api_client.post(LOGOUT, {"refresh": "x"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_logout_cannot_revoke_another_users_token(api_client, auth_client):
    UserFactory(username="erin")
    victim_tokens = _login(api_client)
    attacker = auth_client(UserFactory())
    response = attacker.post(LOGOUT, {"refresh": victim_tokens["refresh"]}, format="json")
    assert response.status_code == 400
    assert api_client.post(REFRESH, {"refresh": victim_tokens["refresh"]}, format="json").status_code == 200


def test_password_change_revokes_older_refresh_tokens(api_client):
    UserFactory(username="erin")
    first = _login(api_client)
    second = _login(api_client)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access']}")
    response = api_client.post(
        CHANGE, {"old_password": PASSWORD, "new_password": "a-new-long-passphrase"}, format="json"
    )
    assert response.status_code == 204
    api_client.credentials()
    for tokens in (first, second):
        assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401
    assert api_client.post(LOGIN, {"login": "erin", "password": PASSWORD}, format="json").status_code == 401
    assert (
        api_client.post(LOGIN, {"login": "erin", "password": "a-new-long-passphrase"}, format="json").status_code == 200
    )


def test_password_change_revokes_rotated_refresh_tokens(api_client):
    UserFactory(username="erin")
    tokens = _login(api_client)
    rotated = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    api_client.post(CHANGE, {"old_password": PASSWORD, "new_password": "a-new-long-passphrase"}, format="json")
    api_client.credentials()
    assert api_client.post(REFRESH, {"refresh": rotated["refresh"]}, format="json").status_code == 401


def test_password_change_wrong_old_password(auth_client):
    user = UserFactory()
    response = auth_client(user).post(
        CHANGE, {"old_password": "nope-nope-nope", "new_password": "a-new-long-passphrase"}, format="json"
    )
    assert response.status_code == 400
    assert "old_password" in response.json()["error"]["fields"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_weak_new_password(auth_client):
    user = UserFactory()
    response = auth_client(user).post(CHANGE, {"old_password": PASSWORD, "new_password": "12345678"}, format="json")
    assert response.status_code == 400
    assert "new_password" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "header", ["Bearer garbage", "Bearer ", "Basic abc", "Bearer eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoxfQ."]
)
def test_bad_access_tokens_are_401(api_client, header):
    UserFactory()
    api_client.credentials(HTTP_AUTHORIZATION=header)
    response = api_client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert "error" in response.json()


def test_suspended_users_access_token_stops_working_at_once(auth_client):
    from moderation.services import user_suspend

    user = UserFactory()
    client = auth_client(user)
    assert client.get("/api/v1/users/me").status_code == 200
    user_suspend(user=user, moderator=UserFactory(is_staff=True, is_superuser=True), reason="spam")
    assert client.get("/api/v1/users/me").status_code == 401


def test_deactivated_users_access_token_stops_working_at_once(auth_client):
    user = UserFactory()
    client = auth_client(user)
    assert client.get("/api/v1/users/me").status_code == 200
    user = User.objects.get(pk=user.pk)
    user.is_active = False
    user.save()  # as the admin's form does
    assert client.get("/api/v1/users/me").status_code == 401


def test_suspended_user_cannot_refresh(api_client):
    UserFactory(username="erin")
    tokens = _login(api_client)
    User.objects.filter(username="erin").update(is_suspended=True)
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_deleted_users_refresh_token_is_refused(api_client):
    UserFactory(username="erin")
    tokens = _login(api_client)
    User.objects.filter(username="erin").delete()
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401
