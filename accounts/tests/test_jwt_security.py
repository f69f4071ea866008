"""Token edge cases on REST: expired, wrongly signed, alg=none, tampered, refresh used as access."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def get_me(api_client, token):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client.get("/api/v1/users/me")


def test_valid_token_works(api_client):
    user = UserFactory()
    assert get_me(api_client, str(AccessToken.for_user(user))).status_code == 200


def test_expired_access_token_is_401(api_client):
    user = UserFactory()
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    response = get_me(api_client, str(token))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_token_signed_with_another_key_is_401(api_client):
    user = UserFactory()
    payload = dict(AccessToken.for_user(user).payload)
    forged = jwt.encode(payload, "not-the-server-key-but-long-enough-1234567890", algorithm="HS256")
    assert get_me(api_client, forged).status_code == 401


def test_alg_none_token_is_401(api_client):
    user = UserFactory()
    payload = dict(AccessToken.for_user(user).payload)
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}."
    assert get_me(api_client, unsigned).status_code == 401


def test_tampered_payload_is_401(api_client):
    user, victim = UserFactory(), UserFactory()
    header, _payload, signature = str(AccessToken.for_user(user)).split(".")
    payload = dict(AccessToken.for_user(user).payload, user_id=str(victim.pk))
    assert get_me(api_client, f"{header}.{b64(payload)}.{signature}").status_code == 401


def test_refresh_token_is_not_accepted_as_access_token(api_client):
    user = UserFactory()
    assert get_me(api_client, str(RefreshToken.for_user(user))).status_code == 401


def test_token_of_deleted_user_is_401(api_client):
    user = UserFactory()
    token = str(AccessToken.for_user(user))
    user.delete()
    assert get_me(api_client, token).status_code == 401


def test_cors_allows_only_configured_origins(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    headers = {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"}
    allowed = client.options("/api/v1/users/me", HTTP_ORIGIN="https://app.example.com", **headers)
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    denied = client.options("/api/v1/users/me", HTTP_ORIGIN="https://evil.example.com", **headers)
    assert "Access-Control-Allow-Origin" not in denied


def test_a_token_is_verified_once_per_process_and_its_expiry_every_time(api_client, monkeypatch):
    from rest_framework_simplejwt import utils as jwt_utils
    from rest_framework_simplejwt.backends import TokenBackend

    from accounts import authentication

    user = UserFactory()
    token = str(AccessToken.for_user(user))
    decodes = []
    original = TokenBackend.decode
    monkeypatch.setattr(TokenBackend, "decode", lambda self, *a, **kw: decodes.append(1) or original(self, *a, **kw))
    assert get_me(api_client, token).status_code == 200
    assert get_me(api_client, token).status_code == 200
    assert len(decodes) == 1  # the second request did not check the signature again
    # Once expired, the remembered token is refused too (and forgotten).
    later = jwt_utils.aware_utcnow() + timedelta(days=30)
    monkeypatch.setattr(jwt_utils, "aware_utcnow", lambda: later)
    response = get_me(api_client, token)
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_not_valid"
    assert token not in authentication._verified


def test_a_tampered_copy_of_a_remembered_token_is_still_refused(api_client):
    user, other = UserFactory(), UserFactory()
    token = str(AccessToken.for_user(user))
    assert get_me(api_client, token).status_code == 200
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["user_id"] = str(other.pk) if isinstance(claims["user_id"], str) else other.pk
    assert get_me(api_client, f"{header}.{b64(claims)}.{signature}").status_code == 401


def test_a_change_of_the_jwt_settings_forgets_the_verified_tokens(api_client, settings):
    from accounts import authentication

    user = UserFactory()
    token = str(AccessToken.for_user(user))
    assert get_me(api_client, token).status_code == 200
    assert token in authentication._verified
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": "another-key-" * 4}
    assert authentication._verified == {}


def test_a_deleted_users_token_stays_refused_when_a_reader_refilled_the_cache(
    api_client, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    user = UserFactory()
    token = str(AccessToken.for_user(user))
    key = f"accounts:token_version:{user.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        version = user.token_version
        user.delete()
        # A request on another connection, before the delete commits, still reads the row and
        # caches its version (token_version_current's cache.add).
        cache.add(key, version)
    assert cache.get(key) is None
    assert get_me(api_client, token).status_code == 401


def test_deactivating_the_user_built_from_the_token_ends_its_sessions():
    from accounts.authentication import user_with_id

    user = UserFactory()
    request_user = user_with_id(user.pk)  # what BearerJWTAuthentication gives the view
    assert request_user.username == user.username  # loads the other fields
    request_user.is_active = False
    request_user.save()
    user.refresh_from_db()
    assert not user.is_active and user.token_version == 1


def test_a_user_deleted_during_the_request_is_a_401_not_a_500(api_client, monkeypatch):
    """The token was current when the request began; the row goes before the view reads a field
    of ``request.user``, whose fields load on first use (``user_with_id``): the refresh found no
    row and its DoesNotExist was a 500."""
    from accounts.authentication import BearerJWTAuthentication
    from accounts.models import User

    user = UserFactory()
    authenticate = BearerJWTAuthentication.authenticate

    def authenticate_then_lose_the_row(self, request):
        result = authenticate(self, request)
        User.objects.filter(pk=user.pk).delete()  # another request deletes the account now
        return result

    monkeypatch.setattr(BearerJWTAuthentication, "authenticate", authenticate_then_lose_the_row)
    response = get_me(api_client, str(AccessToken.for_user(user)))
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "user_not_found"
    assert response.has_header("WWW-Authenticate")


@pytest.mark.django_db(transaction=True)  # the foreign keys are checked at commit
@pytest.mark.parametrize("path", ["/api/v1/tweets", "/api/v1/users/{other}/follow", "/api/v1/rooms"])
def test_a_write_for_a_user_deleted_during_the_request_is_a_401_not_a_500(api_client, monkeypatch, path):
    """The row goes after the token check and the write's foreign key to it fails at commit
    (IntegrityError): the same 401 as above, and nothing is written."""
    from accounts.authentication import BearerJWTAuthentication
    from accounts.models import User
    from rooms.models import Room
    from tweets.models import Tweet

    user, other = UserFactory(), UserFactory()
    authenticate = BearerJWTAuthentication.authenticate

    def authenticate_then_lose_the_row(self, request):
        result = authenticate(self, request)
        User.objects.filter(pk=user.pk).delete()
        return result

    monkeypatch.setattr(BearerJWTAuthentication, "authenticate", authenticate_then_lose_the_row)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    body = {"text": "hi"} if path.endswith("tweets") else {"title": "a room"} if path.endswith("rooms") else None
    response = api_client.post(path.replace("{other}", other.username), body, format="json")
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "user_not_found"
    assert not Tweet.objects.exists() and not Room.objects.exists()
