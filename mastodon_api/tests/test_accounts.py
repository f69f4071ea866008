"""Mastodon's Account entity (verify_credentials)."""

from __future__ import annotations

import re

import pytest

from tweets.models import Tweet

pytestmark = pytest.mark.django_db


def test_verify_credentials_is_a_mastodon_credential_account(mastodon_client, user):
    user.bio = "Hello <b>world</b> #django\n\nsecond paragraph"
    user.website = "https://example.com/?a=1&b=2"
    user.location = "Paris"
    user.save()
    Tweet.objects.create(author=user, text="latest")
    body = mastodon_client(user).get("/api/v1/accounts/verify_credentials").json()
    assert body["id"] == str(user.pk)
    assert body["username"] == body["acct"] == user.username
    assert body["display_name"] == user.display_name
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00\.000Z", body["created_at"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", body["last_status_at"])
    assert body["note"] == "<p>Hello &lt;b&gt;world&lt;/b&gt; #django</p><p>second paragraph</p>"
    assert body["url"] == f"http://testserver/api/v1/users/{user.username}"
    assert body["avatar"].startswith("http://testserver/") and body["avatar"] == body["avatar_static"]
    assert body["header"].startswith("http://testserver/")
    assert body["emojis"] == []
    assert body["fields"][0]["name"] == "Website"
    assert "&amp;b=2" in body["fields"][0]["value"]
    assert body["fields"][1] == {"name": "Location", "value": "Paris", "verified_at": None}
    assert body["source"]["note"] == user.bio
    assert body["source"]["fields"][0]["value"] == user.website
    assert body["source"]["privacy"] == "public"
    assert body["statuses_count"] == user.tweets_count


def test_default_avatar_is_served(mastodon_client, user, client):
    body = mastodon_client(user).get("/api/v1/accounts/verify_credentials").json()
    path = body["avatar"].removeprefix("http://testserver")
    response = client.get(path)
    assert response.status_code == 200


def test_user_without_posts_has_no_last_status_at(mastodon_client, user):
    assert mastodon_client(user).get("/api/v1/accounts/verify_credentials").json()["last_status_at"] is None
