"""Errors that our middleware answers before a view runs (413, 414, 429) take Mastodon's shape on
the Mastodon API's paths, as the views' own errors do; ours keep our envelope. On a path both APIs
serve, the token decides."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

LONG_QUERY = "q=" + "a" * 5000


def test_query_string_too_long_on_a_mastodon_path_is_a_mastodon_error(client):
    response = client.get(f"/api/v1/timelines/public?{LONG_QUERY}")
    assert response.status_code == 414
    assert response.json() == {"error": "The query string is too long."}


def test_query_string_too_long_on_our_path_keeps_our_envelope(client):
    response = client.get(f"/api/v1/search?{LONG_QUERY}")
    assert response.status_code == 414
    assert response.json()["error"]["code"] == "uri_too_long"


@override_settings(MAX_REQUEST_BODY_BYTES=10)
def test_body_too_large_on_a_mastodon_path_is_a_mastodon_error(client):
    response = client.post("/api/v1/apps", {"client_name": "x" * 100}, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"error": "The request body is too large."}


def test_shared_path_errors_follow_the_token(client, user, mastodon_client):
    mastodon = mastodon_client(user)
    response = mastodon.get(f"/api/v1/notifications?{LONG_QUERY}")
    assert response.status_code == 414
    assert response.json() == {"error": "The query string is too long."}
    response = client.get(f"/api/v1/notifications?{LONG_QUERY}", HTTP_AUTHORIZATION="Bearer a.b.c")
    assert response.json()["error"]["code"] == "uri_too_long"
    # DELETE is ours only, whatever the token: our envelope.
    response = mastodon.delete(f"/api/v1/notifications?{LONG_QUERY}")
    assert response.json()["error"]["code"] == "uri_too_long"


def test_rate_limited_mastodon_request_is_a_mastodon_error(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": {"rate": "1/5m", "per": "user_or_ip"}}
    client.get("/api/v1/instance")
    response = client.get("/api/v1/instance")
    assert response.status_code == 429
    assert set(response.json()) == {"error"} and "Too many requests" in response.json()["error"]
    assert response["Retry-After"]
