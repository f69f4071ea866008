"""Every notification type caused through the real REST endpoints of the other apps, listed over
REST, and one pushed to a socket; exclusions through the social endpoints."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.services import tokens_for
from accounts.tests.factories import UserFactory
from notifications.models import Notification
from twitterclone.asgi import application

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


def listed(client) -> list[dict]:
    response = client.get("/api/v1/notifications")
    assert response.status_code == 200
    return response.json()["results"]


def post_tweet(client, **body) -> dict:
    response = client.post("/api/v1/tweets", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_follow(alice, bob, auth_client):
    assert auth_client(bob).post("/api/v1/users/alice/follow").status_code in (200, 201)
    (item,) = listed(auth_client(alice))
    assert (item["type"], item["actor"]["username"], item["tweet"], item["room"]) == ("follow", "bob", None, None)


def test_like(alice, bob, auth_client):
    tweet = post_tweet(auth_client(alice), text="like me")
    assert auth_client(bob).post(f"/api/v1/tweets/{tweet['id']}/like").status_code == 200
    (item,) = listed(auth_client(alice))
    assert (item["type"], item["actor"]["username"], item["tweet"]["id"]) == ("like", "bob", tweet["id"])
    assert item["tweet"]["like_count"] == 1


def test_retweet(alice, bob, auth_client):
    tweet = post_tweet(auth_client(alice), text="spread the word")
    assert auth_client(bob).post(f"/api/v1/tweets/{tweet['id']}/retweet").status_code in (200, 201)
    (item,) = listed(auth_client(alice))
    assert (item["type"], item["actor"]["username"], item["tweet"]["id"]) == ("retweet", "bob", tweet["id"])


def test_reply(alice, bob, auth_client):
    tweet = post_tweet(auth_client(alice), text="thoughts?")
    reply = post_tweet(auth_client(bob), text="indeed", reply_to=tweet["id"])
    (item,) = listed(auth_client(alice))
    assert (item["type"], item["actor"]["username"], item["tweet"]["id"]) == ("reply", "bob", reply["id"])
    assert item["tweet"]["reply_to"] == tweet["id"]


def test_mention(alice, bob, auth_client):
    tweet = post_tweet(auth_client(bob), text="hello @alice")
    (item,) = listed(auth_client(alice))
    assert (item["type"], item["actor"]["username"], item["tweet"]["id"]) == ("mention", "bob", tweet["id"])


def test_quote(alice, bob, auth_client):
    tweet = post_tweet(auth_client(alice), text="quotable")
    quote = post_tweet(auth_client(bob), text="so true", quote_of=tweet["id"])
    (item,) = listed(auth_client(alice))
    assert (item["type"], item["actor"]["username"], item["tweet"]["id"]) == ("quote", "bob", quote["id"])
    assert item["tweet"]["quote_of"]["id"] == tweet["id"]


def test_like_unlike_like_through_the_api_is_one_notification(alice, bob, auth_client):
    tweet = post_tweet(auth_client(alice), text="fickle")
    client = auth_client(bob)
    for method in ("post", "delete", "post"):
        assert getattr(client, method)(f"/api/v1/tweets/{tweet['id']}/like").status_code in (200, 204)
    assert [n["type"] for n in listed(auth_client(alice))] == ["like"]


def test_follow_unfollow_follow_is_one_notification(alice, bob, auth_client):
    client = auth_client(bob)
    for method in ("post", "delete", "post"):
        assert getattr(client, method)("/api/v1/users/alice/follow").status_code in (200, 201, 204)
    assert [n["type"] for n in listed(auth_client(alice))] == ["follow"]


def test_own_actions_notify_nobody(alice, auth_client):
    client = auth_client(alice)
    tweet = post_tweet(client, text="me, @alice, myself")
    client.post(f"/api/v1/tweets/{tweet['id']}/like")
    post_tweet(client, text="replying to myself", reply_to=tweet["id"])
    post_tweet(client, text="quoting myself", quote_of=tweet["id"])
    assert listed(client) == []
    assert not Notification.objects.exists()


@pytest.mark.parametrize("relation", ["mute", "block"])
def test_users_you_mute_or_block_do_not_notify_you(alice, bob, auth_client, relation):
    assert auth_client(alice).post(f"/api/v1/users/bob/{relation}").status_code in (200, 201)
    client = auth_client(bob)
    client.post("/api/v1/users/alice/follow")  # refused when blocked; silent when muted
    post_tweet(client, text="hey @alice")
    assert listed(auth_client(alice)) == []
    assert not Notification.objects.filter(recipient__username="alice").exists()


def test_unread_count_and_read_all_follow_the_api_actions(alice, bob, auth_client):
    tweet = post_tweet(auth_client(alice), text="count me")
    auth_client(bob).post(f"/api/v1/tweets/{tweet['id']}/like")
    auth_client(bob).post("/api/v1/users/alice/follow")
    client = auth_client(alice)
    assert client.get("/api/v1/notifications/unread_count").json() == {"count": 2}
    assert client.post("/api/v1/notifications/read_all").status_code == 204
    assert client.get("/api/v1/notifications/unread_count").json() == {"count": 0}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("async_cleanup")
async def test_a_like_through_the_api_is_pushed_to_the_authors_socket():
    alice, bob = await database_sync_to_async(UserFactory)(), await database_sync_to_async(UserFactory)()

    @database_sync_to_async
    def like_as_bob() -> int:
        from rest_framework.test import APIClient

        alice_client, bob_client = APIClient(), APIClient()
        alice_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(alice)['access']}")
        bob_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(bob)['access']}")
        tweet = alice_client.post("/api/v1/tweets", {"text": "push me"}, format="json").json()
        assert bob_client.post(f"/api/v1/tweets/{tweet['id']}/like").status_code == 200
        return tweet["id"]

    token = (await database_sync_to_async(tokens_for)(alice))["access"]
    communicator = WebsocketCommunicator(application, "/ws/notifications/", subprotocols=["bearer", token])
    assert (await communicator.connect())[0]
    tweet_id = await like_as_bob()
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["type"] == "notification"
    assert frame["notification"]["type"] == "like"
    assert frame["notification"]["actor"]["username"] == bob.username
    assert frame["notification"]["tweet"]["id"] == tweet_id
    assert frame["notification"]["tweet"]["liked"] is False  # as alice sees it
    await communicator.disconnect()
