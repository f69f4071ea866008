"""/oauth/token, /oauth/authorize (login, consent, oob, redirect, PKCE), /oauth/revoke, the
authorization-server metadata, and the end of tokens on suspension and password change."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken

from accounts.services import password_change
from accounts.tests.factories import UserFactory
from conftest import PASSWORD
from mastodon_api.services import OOB_URI
from mastodon_api.tests.conftest import password_grant

pytestmark = pytest.mark.django_db


def _creds(app) -> dict[str, str]:
    return {"client_id": app.app.application.client_id, "client_secret": app.client_secret}


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# --- password and client-credentials grants ------------------------------------------------


def test_password_grant_gives_a_mastodon_token(client, mastodon_app, user):
    response = password_grant(client, mastodon_app, username=user.username, scope="read write follow push")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read write follow push"
    assert isinstance(body["created_at"], int)
    me = client.get("/api/v1/accounts/verify_credentials", **_bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["username"] == user.username


def test_password_grant_by_email_and_with_a_json_body(client, mastodon_app, user):
    response = client.post(
        "/oauth/token",
        {"grant_type": "password", "username": user.email.upper(), "password": PASSWORD, **_creds(mastodon_app)},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "read"  # the default scope


def test_client_credentials_in_http_basic(client, mastodon_app, user):
    basic = base64.b64encode(f"{mastodon_app.app.application.client_id}:{mastodon_app.client_secret}".encode())
    response = client.post(
        "/oauth/token",
        {"grant_type": "password", "username": user.username, "password": PASSWORD},
        HTTP_AUTHORIZATION=f"Basic {basic.decode()}",
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("username", "password", "secret_ok"),
    [("nobody", PASSWORD, True), (None, "wrong-password", True), (None, PASSWORD, False)],
)
def test_wrong_credentials_get_no_token(client, mastodon_app, user, username, password, secret_ok):
    creds = _creds(mastodon_app)
    if not secret_ok:
        creds["client_secret"] = "x" * 40
    response = client.post(
        "/oauth/token",
        {"grant_type": "password", "username": username or user.username, "password": password, **creds},
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_grant", "invalid_client")
    assert not AccessToken.objects.exists()


def test_suspended_user_gets_no_token(client, mastodon_app, user):
    user.is_suspended = True
    user.save()
    assert password_grant(client, mastodon_app, username=user.username).status_code == 400
    assert not AccessToken.objects.exists()


def test_password_grant_can_be_turned_off(client, mastodon_app, user, settings):
    settings.MASTODON_PASSWORD_GRANT_ENABLED = False
    response = password_grant(client, mastodon_app, username=user.username)
    assert response.status_code in (400, 401)
    assert not AccessToken.objects.exists()
    metadata = client.get("/.well-known/oauth-authorization-server").json()
    assert "password" not in metadata["grant_types_supported"]


def test_scopes_beyond_the_apps_registration_are_refused(client, user):
    from mastodon_api.services import client_app_create

    app = client_app_create(name="reader", redirect_uris=OOB_URI, scopes="read")
    assert password_grant(client, app, username=user.username, scope="read:statuses").status_code == 200
    response = password_grant(client, app, username=user.username, scope="read write")
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"
    response = password_grant(client, app, username=user.username, scope="read nonsense")
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_client_credentials_token_has_no_user(client, mastodon_app):
    response = client.post(
        "/oauth/token", {"grant_type": "client_credentials", "scope": "read", **_creds(mastodon_app)}
    )
    assert response.status_code == 200, response.content
    me = client.get("/api/v1/accounts/verify_credentials", **_bearer(response.json()["access_token"]))
    assert me.status_code == 422
    assert me.json() == {"error": "This method requires an authenticated user"}


def test_a_token_without_the_scope_is_refused(client, mastodon_app, user):
    token = password_grant(client, mastodon_app, username=user.username, scope="write").json()["access_token"]
    response = client.get("/api/v1/accounts/verify_credentials", **_bearer(token))
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}
    # read:accounts or the profile scope (which "read" does not cover: the app must register it) suffice
    token = password_grant(client, mastodon_app, username=user.username, scope="read:accounts").json()["access_token"]
    assert client.get("/api/v1/accounts/verify_credentials", **_bearer(token)).status_code == 200
    assert password_grant(client, mastodon_app, username=user.username, scope="profile").status_code == 400
    from mastodon_api.services import client_app_create

    profile_app = client_app_create(name="p", redirect_uris=OOB_URI, scopes="profile")
    token = password_grant(client, profile_app, username=user.username, scope="profile").json()["access_token"]
    assert client.get("/api/v1/accounts/verify_credentials", **_bearer(token)).status_code == 200


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Basic abc"])
def test_bad_tokens_get_401_in_mastodon_shape(client, header):
    response = client.get("/api/v1/accounts/verify_credentials", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


def test_a_jwt_is_not_a_mastodon_token(client, auth_client, user):
    from accounts.services import tokens_for

    response = client.get("/api/v1/accounts/verify_credentials", **_bearer(tokens_for(user)["access"]))
    assert response.status_code == 401


# --- revocation ------------------------------------------------------------------------------


def test_revoke_ends_the_token(client, mastodon_app, user):
    token = password_grant(client, mastodon_app, username=user.username).json()["access_token"]
    response = client.post("/oauth/revoke", {"token": token, **_creds(mastodon_app)})
    assert response.status_code == 200 and response.json() == {}
    assert client.get("/api/v1/accounts/verify_credentials", **_bearer(token)).status_code == 401


def test_another_client_cannot_revoke_a_token(client, mastodon_app, user):
    from mastodon_api.services import client_app_create

    other = client_app_create(name="other", redirect_uris=OOB_URI)
    token = password_grant(client, mastodon_app, username=user.username).json()["access_token"]
    client.post("/oauth/revoke", {"token": token, **_creds(other)})
    assert client.get("/api/v1/accounts/verify_credentials", **_bearer(token)).status_code == 200


def test_password_change_ends_oauth_tokens(client, mastodon_app, user):
    token = password_grant(client, mastodon_app, username=user.username).json()["access_token"]
    password_change(user=user, old_password=PASSWORD, new_password="another-long-passphrase-42")
    assert client.get("/api/v1/accounts/verify_credentials", **_bearer(token)).status_code == 401
    assert not AccessToken.objects.filter(user=user).exists()


def test_suspension_ends_oauth_tokens(client, mastodon_app, user):
    from moderation.services import user_suspend

    moderator = UserFactory(is_staff=True, is_superuser=True)
    token = password_grant(client, mastodon_app, username=user.username).json()["access_token"]
    user_suspend(user=user, moderator=moderator, reason="spam")
    assert client.get("/api/v1/accounts/verify_credentials", **_bearer(token)).status_code == 401
    assert not AccessToken.objects.filter(user=user).exists()


def test_a_suspended_users_token_stops_at_once_even_if_not_deleted(client, mastodon_app, user):
    token = password_grant(client, mastodon_app, username=user.username).json()["access_token"]
    type(user).objects.filter(pk=user.pk).update(is_suspended=True)  # a suspension that bypassed the service
    response = client.get("/api/v1/accounts/verify_credentials", **_bearer(token))
    assert response.status_code == 401 and set(response.json()) == {"error"}


# --- authorization code ------------------------------------------------------------------------


def _pkce() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(b"v" * 40).decode().rstrip("=")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def _authorize(browser: Client, app, **params) -> tuple:
    query = {
        "response_type": "code",
        "client_id": app.app.application.client_id,
        "redirect_uri": OOB_URI,
        "scope": "read write",
        "force_login": "false",
        "lang": "en",
        **params,
    }
    page = browser.get("/oauth/authorize", query)
    return query, page


def _consent(browser: Client, page) -> object:
    html = page.content.decode()
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    fields.pop("csrfmiddlewaretoken", None)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return browser.post("/oauth/authorize", {**fields, "csrfmiddlewaretoken": token, "allow": "Authorize"})


def _login(browser: Client, next_url: str, login: str, password: str = PASSWORD):
    page = browser.get(next_url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    next_value = parse_qs(urlsplit(next_url).query)["next"][0]
    return browser.post(
        "/oauth/login", {"login": login, "password": password, "next": next_value, "csrfmiddlewaretoken": token}
    )


def test_authorize_asks_to_sign_in_then_shows_the_oob_code(mastodon_app, user):
    browser = Client(enforce_csrf_checks=True)
    _query, page = _authorize(browser, mastodon_app)
    assert page.status_code == 302 and page["Location"].startswith("/oauth/login?next=")
    wrong = _login(browser, page["Location"], user.username, "wrong-password")
    assert wrong.status_code == 400 and "Invalid login or password" in wrong.content.decode()
    signed_in = _login(browser, page["Location"], user.username)
    assert signed_in.status_code == 302 and signed_in["Location"].startswith("/oauth/authorize?")
    consent = browser.get(signed_in["Location"])
    assert consent.status_code == 200
    html = consent.content.decode()
    assert "Authorize Test client?" in html and "<code>read</code>" in html and "<code>write</code>" in html
    shown = _consent(browser, consent)
    assert shown.status_code == 200
    code = re.search(r'<code class="oob" id="code">([^<]+)</code>', shown.content.decode()).group(1)
    token = Client().post(
        "/oauth/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": OOB_URI, **_creds(mastodon_app)},
    )
    assert token.status_code == 200, token.content
    assert token.json()["scope"] == "read write"
    assert AccessToken.objects.get().user == user
    # A code works once.
    again = Client().post(
        "/oauth/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": OOB_URI, **_creds(mastodon_app)},
    )
    assert again.status_code == 400


def test_authorize_redirects_with_code_and_state_and_checks_pkce(mastodon_app, user):
    browser = Client()
    browser.force_login(user)
    verifier, challenge = _pkce()
    redirect_uri = "https://client.example/callback"
    _query, page = _authorize(
        browser,
        mastodon_app,
        redirect_uri=redirect_uri,
        state="xyz-123",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    assert page.status_code == 200
    answer = _consent(browser, page)
    assert answer.status_code == 302
    location = urlsplit(answer["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect_uri
    params = parse_qs(location.query)
    assert params["state"] == ["xyz-123"]
    exchange = {"grant_type": "authorization_code", "code": params["code"][0], "redirect_uri": redirect_uri}
    wrong = Client().post("/oauth/token", {**exchange, "code_verifier": "w" * 50, **_creds(mastodon_app)})
    assert wrong.status_code == 400
    missing = Client().post("/oauth/token", {**exchange, **_creds(mastodon_app)})
    assert missing.status_code == 400
    # Failed attempts void the code (oauthlib invalidates it), so start over for the right verifier.
    _query, page = _authorize(
        browser, mastodon_app, redirect_uri=redirect_uri, code_challenge=challenge, code_challenge_method="S256"
    )
    code = parse_qs(urlsplit(_consent(browser, page)["Location"]).query)["code"][0]
    right = Client().post("/oauth/token", {**exchange, "code": code, "code_verifier": verifier, **_creds(mastodon_app)})
    assert right.status_code == 200, right.content


def test_plain_pkce_is_refused(mastodon_app, user):
    browser = Client()
    browser.force_login(user)
    _query, page = _authorize(browser, mastodon_app, code_challenge="a" * 50, code_challenge_method="plain")
    assert page.status_code == 400
    assert "Transform algorithm not supported" in page.content.decode() or "code_challenge" in page.content.decode()


def test_unregistered_redirect_uri_is_refused_without_redirecting(mastodon_app, user):
    browser = Client()
    browser.force_login(user)
    _query, page = _authorize(browser, mastodon_app, redirect_uri="https://evil.example/steal")
    assert page.status_code == 400
    assert "evil.example" not in page.get("Location", "")


def test_unknown_client_is_an_error_page(user):
    browser = Client()
    browser.force_login(user)
    page = browser.get("/oauth/authorize", {"response_type": "code", "client_id": "nope", "redirect_uri": OOB_URI})
    assert page.status_code in (400, 401)
    assert "invalid" in page.content.decode().lower()


def test_denying_consent_gives_no_code(mastodon_app, user):
    browser = Client()
    browser.force_login(user)
    _query, page = _authorize(browser, mastodon_app)
    html = page.content.decode()
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    answer = browser.post("/oauth/authorize", fields)  # no "allow"
    assert answer.status_code == 400
    assert "access_denied" in answer.content.decode()
    assert not AccessToken.objects.exists()


def test_a_suspended_users_session_cannot_authorize(mastodon_app, user):
    browser = Client()
    browser.force_login(user)
    type(user).objects.filter(pk=user.pk).update(is_suspended=True)
    _query, page = _authorize(browser, mastodon_app)
    assert page.status_code == 302 and page["Location"].startswith("/oauth/login")


def test_authorize_with_a_trailing_slash(mastodon_app, user):
    browser = Client()
    browser.force_login(user)
    page = browser.get(
        "/oauth/authorize/",
        {"response_type": "code", "client_id": mastodon_app.app.application.client_id, "redirect_uri": OOB_URI},
    )
    assert page.status_code == 200 and "Authorize Test client?" in page.content.decode()


def test_authorization_server_metadata(client):
    body = client.get("/.well-known/oauth-authorization-server").json()
    assert body["token_endpoint"] == "http://testserver/oauth/token"
    assert body["authorization_endpoint"] == "http://testserver/oauth/authorize"
    assert body["app_registration_endpoint"] == "http://testserver/api/v1/apps"
    assert body["revocation_endpoint"] == "http://testserver/oauth/revoke"
    assert set(body["grant_types_supported"]) == {"authorization_code", "client_credentials", "password"}
    assert {"read", "write", "follow", "push", "read:statuses", "write:media"} <= set(body["scopes_supported"])
    assert body["code_challenge_methods_supported"] == ["S256"]


@pytest.mark.parametrize("encoding", ["form", "json", "multipart"])
def test_password_grant_is_rate_limited_per_username(client, mastodon_app, user, settings, encoding):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "oauth_login_name": {"rate": "3/1h", "per": "field:username"}}
    body = {"grant_type": "password", "username": user.username, "password": "wrong", **_creds(mastodon_app)}

    def send(data):
        if encoding == "form":
            return client.post("/oauth/token", urlencode(data), content_type="application/x-www-form-urlencoded")
        if encoding == "json":
            return client.post("/oauth/token", data, content_type="application/json")
        return client.post("/oauth/token", data)  # the test client's default: multipart

    for _ in range(3):
        assert send(body).status_code == 400
    response = send({**body, "password": PASSWORD})
    assert response.status_code == 429
    assert "Retry-After" in response
    # Another name from the same address is not affected.
    other = UserFactory()
    assert send({**body, "username": other.username, "password": PASSWORD}).status_code == 200


def test_logout_all_ends_oauth_tokens(client, mastodon_app, user, auth_client):
    token = password_grant(client, mastodon_app, username=user.username).json()["access_token"]
    assert auth_client(user).post("/api/v1/auth/logout_all").status_code == 204
    assert client.get("/api/v1/accounts/verify_credentials", **_bearer(token)).status_code == 401


def test_deactivation_ends_oauth_tokens(client, mastodon_app, user):
    token = password_grant(client, mastodon_app, username=user.username).json()["access_token"]
    user.is_active = False
    user.save()
    assert not AccessToken.objects.filter(user=user).exists()
    assert client.get("/api/v1/accounts/verify_credentials", **_bearer(token)).status_code == 401
