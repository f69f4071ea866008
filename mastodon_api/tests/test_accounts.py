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


def _usernames(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [account["username"] for account in response.json()]


def test_blocks_and_mutes_lists_are_the_users_own(mastodon_client, user, other_user):
    from accounts.tests.factories import UserFactory
    from social.services import block_create, mute_create

    first, second, third = (UserFactory(username=f"target{n}") for n in range(3))
    block_create(blocker=user, blocked=first)
    block_create(blocker=user, blocked=second)
    mute_create(muter=user, muted=third)
    block_create(blocker=other_user, blocked=third)
    client = mastodon_client(user)
    assert _usernames(client.get("/api/v1/blocks")) == ["target1", "target0"]
    page = client.get("/api/v1/blocks", {"limit": 1})
    assert _usernames(page) == ["target1"]
    next_url = page["Link"].split(">")[0][1:]
    assert _usernames(client.get(next_url)) == ["target0"]
    assert _usernames(client.get("/api/v1/mutes")) == ["target2"]
    assert _usernames(mastodon_client(other_user).get("/api/v1/blocks")) == ["target2"]
    assert mastodon_client(user, scope="write").get("/api/v1/blocks").status_code == 403
    assert mastodon_client(user, scope="follow").get("/api/v1/mutes").status_code == 200


def test_account_search_following_limit_and_offset(mastodon_client, user):
    from accounts.tests.factories import UserFactory
    from social.services import follow_create

    people = [UserFactory(username=f"sam{n}") for n in range(4)]
    follow_create(follower=user, followee=people[2])
    client = mastodon_client(user)
    assert _usernames(client.get("/api/v1/accounts/search", {"q": "sam"})) == ["sam0", "sam1", "sam2", "sam3"]
    assert _usernames(client.get("/api/v1/accounts/search", {"q": "sam", "limit": 2, "offset": 1})) == ["sam1", "sam2"]
    assert _usernames(client.get("/api/v1/accounts/search", {"q": "sam", "following": "true"})) == ["sam2"]
    assert client.get("/api/v1/accounts/search", {"q": "sam", "offset": "x"}).status_code == 422


def test_trending_statuses_and_links_are_empty_lists(client):
    assert client.get("/api/v1/trends/statuses").json() == []
    assert client.get("/api/v1/trends/links").json() == []


def test_account_search_offset_must_be_ascii_digits(mastodon_client, user):
    for offset in ("²", "1²", "-1", "+1"):
        response = mastodon_client(user).get("/api/v1/accounts/search", {"q": "a", "offset": offset})
        assert response.status_code == 422, offset
