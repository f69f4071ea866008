"""Editing statuses the Mastodon way: PUT /api/v1/statuses/:id, /history and /source."""

from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from social.services import block_create, follow_create
from tweets.models import Tweet, TweetEdit
from tweets.services import retweet_create, tweet_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


def test_edit_answers_the_edited_status_and_history_lists_every_version(mastodon_client, alice, bob, client):
    tweet = tweet_create(author=alice, text="first #one")
    writer = mastodon_client(alice)
    first = writer.put(f"/api/v1/statuses/{tweet.pk}", {"status": "second @bob"}, format="json")
    assert first.status_code == 200, first.content
    assert first.json()["edited_at"] and first.json()["id"] == str(tweet.pk)
    assert "@<span>bob</span>" in first.json()["content"]
    second = writer.put(f"/api/v1/statuses/{tweet.pk}", {"status": "third #three"})  # form
    assert second.status_code == 200 and "#<span>three</span>" in second.json()["content"]

    history = client.get(f"/api/v1/statuses/{tweet.pk}/history")  # public status: no token needed
    assert history.status_code == 200, history.content
    versions = history.json()
    assert [v["content"] for v in versions] == [
        '<p>first <a href="http://testserver/api/v1/hashtags/one/tweets" class="mention hashtag" rel="tag">'
        "#<span>one</span></a></p>",
        "<p>second @bob</p>",  # bob is no longer mentioned by the status: not linked
        '<p>third <a href="http://testserver/api/v1/hashtags/three/tweets" class="mention hashtag" rel="tag">'
        "#<span>three</span></a></p>",
    ]
    tweet.refresh_from_db()
    edits = list(TweetEdit.objects.filter(tweet=tweet).order_by("id"))
    assert [v["created_at"][:19] for v in versions] == [
        edits[0].created_at.isoformat()[:19],
        edits[1].created_at.isoformat()[:19],
        tweet.edited_at.isoformat()[:19],
    ]
    for version in versions:
        assert version["account"]["id"] == str(alice.pk)
        assert version["spoiler_text"] == "" and version["sensitive"] is False
        assert version["media_attachments"] == [] and version["emojis"] == []

    source = writer.get(f"/api/v1/statuses/{tweet.pk}/source")
    assert source.json() == {"id": str(tweet.pk), "text": "third #three", "spoiler_text": ""}


def test_a_status_never_edited_has_one_version(mastodon_client, alice):
    tweet = tweet_create(author=alice, text="only")
    versions = mastodon_client(alice).get(f"/api/v1/statuses/{tweet.pk}/history").json()
    assert len(versions) == 1 and versions[0]["content"] == "<p>only</p>"
    assert versions[0]["created_at"][:19] == tweet.created_at.isoformat()[:19]


def test_another_users_status_cannot_be_edited(mastodon_client, alice, bob):
    tweet = tweet_create(author=alice, text="mine")
    response = mastodon_client(bob).put(f"/api/v1/statuses/{tweet.pk}", {"status": "yours"}, format="json")
    assert response.status_code == 403 and set(response.json()) == {"error"}
    assert Tweet.objects.get(pk=tweet.pk).text == "mine" and not TweetEdit.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [{}, {"status": ""}, {"status": "x" * 281}, {"status": "ok", "spoiler_text": "cw"}, {"status": "ok", "poll": {}}],
)
def test_invalid_edits_are_422(mastodon_client, alice, payload):
    tweet = tweet_create(author=alice, text="mine")
    payload = payload if "poll" not in payload else {"status": "ok", "poll[options][]": ["a", "b"]}
    response = mastodon_client(alice).put(f"/api/v1/statuses/{tweet.pk}", payload, format="json")
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"error"}
    assert not TweetEdit.objects.exists()


def test_a_reblog_cannot_be_edited(mastodon_client, alice, bob):
    original = tweet_create(author=bob, text="theirs")
    retweet_create(user=alice, tweet_id=original.pk)
    reblog = Tweet.objects.get(retweet_of=original)
    response = mastodon_client(alice).put(f"/api/v1/statuses/{reblog.pk}", {"status": "x"}, format="json")
    assert response.status_code == 422


def test_edit_needs_write_scope(mastodon_client, alice):
    tweet = tweet_create(author=alice, text="mine")
    response = mastodon_client(alice, scope="read").put(f"/api/v1/statuses/{tweet.pk}", {"status": "x"}, format="json")
    assert response.status_code == 403


def test_history_and_source_follow_the_visibility_rule(mastodon_client, alice, bob, client):
    secret = tweet_create(author=alice, text="followers only", visibility="followers")
    public = tweet_create(author=alice, text="public")
    stranger = mastodon_client(bob)
    for path in ("history", "source"):
        response = stranger.get(f"/api/v1/statuses/{secret.pk}/{path}")
        assert response.status_code == 404 and response.json() == {"error": "Record not found"}
    assert client.get(f"/api/v1/statuses/{secret.pk}/history").status_code == 404
    follow_create(follower=bob, followee=alice)
    assert stranger.get(f"/api/v1/statuses/{secret.pk}/history").status_code == 200
    assert stranger.get(f"/api/v1/statuses/{secret.pk}/source").json()["text"] == "followers only"
    block_create(blocker=alice, blocked=bob)
    assert stranger.get(f"/api/v1/statuses/{public.pk}/history").status_code == 404
    assert stranger.get(f"/api/v1/statuses/{public.pk}/source").status_code == 404
    assert stranger.get("/api/v1/statuses/abc/history").status_code == 404


def test_source_needs_a_token_with_read_scope(mastodon_client, alice, client):
    tweet = tweet_create(author=alice, text="mine")
    assert client.get(f"/api/v1/statuses/{tweet.pk}/source").status_code == 401
    assert mastodon_client(alice, scope="write").get(f"/api/v1/statuses/{tweet.pk}/source").status_code == 403
    assert mastodon_client(alice, scope="write").get(f"/api/v1/statuses/{tweet.pk}/history").status_code == 403
