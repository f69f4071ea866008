"""Fixtures for the Mastodon API tests: a registered client app and tokens obtained through
the real /oauth/token endpoint."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from conftest import PASSWORD
from mastodon_api.services import OOB_URI, client_app_create


@pytest.fixture
def mastodon_app(db):
    """A client app with every broad scope and two redirect URIs (oob and an https one)."""
    return client_app_create(
        name="Test client",
        redirect_uris=[OOB_URI, "https://client.example/callback"],
        scopes="read write follow push",
        website="https://client.example",
    )


def password_grant(client, app, *, username: str, password: str = PASSWORD, scope: str = "read write follow"):
    return client.post(
        "/oauth/token",
        {
            "grant_type": "password",
            "client_id": app.app.application.client_id,
            "client_secret": app.client_secret,
            "username": username,
            "password": password,
            "scope": scope,
        },
    )


@pytest.fixture
def mastodon_client(mastodon_app):
    """``mastodon_client(user, scope=...)``: an APIClient with a Mastodon OAuth token of that user."""

    def make(user, scope: str = "read write follow") -> APIClient:
        client = APIClient()
        response = password_grant(client, mastodon_app, username=user.username, scope=scope)
        assert response.status_code == 200, response.content
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
        client.user = user
        client.token = response.json()["access_token"]
        return client

    return make
