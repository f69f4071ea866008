"""POST /api/v1/apps and GET /api/v1/apps/verify_credentials."""

from __future__ import annotations

import pytest
from oauth2_provider.models import Application

from mastodon_api.models import ClientApp
from mastodon_api.services import OOB_URI

pytestmark = pytest.mark.django_db


def test_register_app_with_json_returns_credentials_and_mastodon_fields(client):
    response = client.post(
        "/api/v1/apps",
        {
            "client_name": "Tusky",
            "redirect_uris": "tusky://oauth\nhttps://tusky.example/cb",
            "scopes": "read write follow push",
            "website": "https://tusky.app",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= {
        "id",
        "name",
        "website",
        "client_id",
        "client_secret",
        "redirect_uri",
        "redirect_uris",
        "scopes",
        "vapid_key",
    }
    assert body["name"] == "Tusky" and body["website"] == "https://tusky.app"
    assert body["redirect_uris"] == ["tusky://oauth", "https://tusky.example/cb"]
    assert body["redirect_uri"] == "tusky://oauth\nhttps://tusky.example/cb"
    assert body["scopes"] == ["read", "write", "follow", "push"]
    assert isinstance(body["id"], str)
    application = Application.objects.get(client_id=body["client_id"])
    # The secret is stored hashed, and the one returned is the one that authenticates.
    assert application.client_secret != body["client_secret"]
    from django.contrib.auth.hashers import check_password

    assert check_password(body["client_secret"], application.client_secret)


def test_register_app_with_a_form_and_array_of_uris(client):
    response = client.post(
        "/api/v1/apps",
        {"client_name": "toot", "redirect_uris[]": [OOB_URI, "http://localhost:4000/cb"], "scopes": "read"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["redirect_uris"] == [OOB_URI, "http://localhost:4000/cb"]
    assert ClientApp.objects.get(application__name="toot").scopes == "read"


def test_register_app_with_json_array_of_uris_and_default_scope(client):
    response = client.post(
        "/api/v1/apps", {"client_name": "x", "redirect_uris": [OOB_URI]}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["scopes"] == ["read"]


@pytest.mark.parametrize(
    "payload",
    [
        {"redirect_uris": OOB_URI},  # no name
        {"client_name": "  ", "redirect_uris": OOB_URI},
        {"client_name": "x"},  # no redirect URI
        {"client_name": "x", "redirect_uris": "not a uri"},
        {"client_name": "x", "redirect_uris": "/relative/path"},
        {"client_name": "x", "redirect_uris": "https:///nohost"},
        {"client_name": "x", "redirect_uris": "javascript:alert(1)"},
        {"client_name": "x", "redirect_uris": [1, 2]},
        {"client_name": "x", "redirect_uris": OOB_URI, "scopes": "read admin:everything"},
        {"client_name": "x", "redirect_uris": OOB_URI, "website": "ftp://example.com"},
        {"client_name": "x" * 61, "redirect_uris": OOB_URI},
        {"client_name": ["x"], "redirect_uris": OOB_URI},
    ],
)
def test_invalid_registration_is_a_422_in_mastodon_shape(client, payload):
    response = client.post("/api/v1/apps", payload, content_type="application/json")
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"].startswith("Validation failed")
    assert not Application.objects.exists()


def test_malformed_json_is_a_400_with_an_error_string(client):
    response = client.post("/api/v1/apps", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert isinstance(response.json()["error"], str)


def test_app_verify_credentials_with_a_client_credentials_token(client, mastodon_app):
    token = client.post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": mastodon_app.app.application.client_id,
            "client_secret": mastodon_app.client_secret,
            "scope": "read",
        },
    ).json()["access_token"]
    response = client.get("/api/v1/apps/verify_credentials", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["name"] == "Test client"
    assert "client_secret" not in response.json()


def test_app_verify_credentials_without_a_token_is_401(client):
    response = client.get("/api/v1/apps/verify_credentials")
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}
