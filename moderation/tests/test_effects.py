"""What suspension and hiding do across the API: timelines, search, lists, profiles, tweet
detail, login and tokens, and open sockets. Moderator actions go through the admin."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.services import tokens_for
from accounts.tests.factories import PASSWORD, UserFactory
from tests.feeds_state import forget_feeds
from tweets import feeds
from twitterclone.asgi import application
from twitterclone.ws import CLOSE_SESSION_REVOKED

from .factories import make_moderator

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/token/refresh"
USERS_ADMIN = "/admin/accounts/user/"
TWEETS_ADMIN = "/admin/tweets/tweet/"


@pytest.fixture(autouse=True)
def _clean_feeds():
    """No Redis home feeds left over from other test databases (ids are reused)."""
    forget_feeds()
    yield
    feeds.reset_redis_state()


@pytest.fixture
def world(db, auth_client):
    """bob posts (with a hashtag), alice follows bob and likes his tweet, carol replies."""
    alice, bob, carol = UserFactory(username="alice"), UserFactory(username="bob"), UserFactory(username="carol")
    viewer = auth_client(alice)
    assert viewer.post("/api/v1/users/bob/follow").status_code in (200, 201)
    author = auth_client(bob)
    tweet = author.post("/api/v1/tweets", {"text": "zebracorn sighting #wildlife"}, format="json").json()
    reply = (
        auth_client(carol)
        .post("/api/v1/tweets", {"text": "nice zebracorn", "reply_to": tweet["id"]}, format="json")
        .json()
    )
    assert viewer.post(f"/api/v1/tweets/{tweet['id']}/like").status_code in (200, 201)
    return {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "viewer": viewer,
        "author": author,
        "tweet": tweet,
        "reply": reply,
    }


def _ids(response) -> set:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


def _seen_everywhere(client, tweet_id: int, username: str) -> dict[str, bool]:
    """Where ``client`` sees the tweet (or, for profile and user search, its author)."""
    context = client.get(f"/api/v1/tweets/{tweet_id}/context")
    return {
        "home": tweet_id in _ids(client.get("/api/v1/timeline/home")),
        "search": tweet_id in _ids(client.get("/api/v1/search", {"q": "zebracorn", "type": "tweets"})),
        "hashtag": tweet_id in _ids(client.get("/api/v1/hashtags/wildlife/tweets")),
        "user_tweets": client.get(f"/api/v1/users/{username}/tweets").status_code == 200
        and tweet_id in _ids(client.get(f"/api/v1/users/{username}/tweets")),
        "likes": tweet_id in _ids(client.get("/api/v1/users/alice/likes")),
        "detail": client.get(f"/api/v1/tweets/{tweet_id}").status_code == 200,
        "context": context.status_code == 200,
        "profile": client.get(f"/api/v1/users/{username}").status_code == 200,
        "user_search": username
        in {u["username"] for u in client.get("/api/v1/users", {"q": username[:3]}).json()["results"]},
    }


def _suspend_in_admin(mod_client, user, reason="spam"):
    data = {"action": "suspend_users", "_selected_action": [str(user.pk)], "confirm": "yes", "reason": reason}
    assert mod_client.post(USERS_ADMIN, data).status_code == 302
    user.refresh_from_db()
    assert user.is_suspended


def _unsuspend_in_admin(mod_client, user):
    data = {"action": "unsuspend_users", "_selected_action": [str(user.pk)], "confirm": "yes", "reason": "appeal"}
    assert mod_client.post(USERS_ADMIN, data).status_code == 302


@pytest.mark.django_db
def test_suspension_removes_a_user_and_their_tweets_everywhere_and_unsuspension_restores_it(
    world, mod_client, django_capture_on_commit_callbacks
):
    tweet_id = world["tweet"]["id"]
    before = _seen_everywhere(world["viewer"], tweet_id, "bob")
    assert all(before.values()), before

    with django_capture_on_commit_callbacks(execute=True):
        _suspend_in_admin(mod_client, world["bob"])
    during = _seen_everywhere(world["viewer"], tweet_id, "bob")
    assert not any(during.values()), during
    # Anonymous visitors see nothing either, and carol's reply is still there (nothing deleted).
    from rest_framework.test import APIClient

    anonymous = APIClient()
    assert anonymous.get(f"/api/v1/tweets/{tweet_id}").status_code == 404
    assert anonymous.get("/api/v1/users/bob").status_code == 404
    assert world["viewer"].get(f"/api/v1/tweets/{world['reply']['id']}").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        _unsuspend_in_admin(mod_client, world["bob"])
    after = _seen_everywhere(world["viewer"], tweet_id, "bob")
    assert after == before
    counts = world["viewer"].get(f"/api/v1/tweets/{tweet_id}").json()
    assert counts["like_count"] == 1 and counts["reply_count"] == 1 and counts["liked"] is True


@pytest.mark.django_db
def test_suspended_user_cannot_log_in_and_their_tokens_stop_working(api_client, mod_client):
    bob = UserFactory(username="bob")
    login = api_client.post(LOGIN, {"login": "bob", "password": PASSWORD}, format="json").json()
    from rest_framework.test import APIClient

    bob_client = APIClient()
    bob_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login['access']}")
    assert bob_client.get("/api/v1/users/me").status_code == 200

    _suspend_in_admin(mod_client, bob)
    refused = api_client.post(LOGIN, {"login": "bob", "password": PASSWORD}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "account_suspended"
    assert bob_client.get("/api/v1/users/me").status_code == 401
    assert api_client.post(REFRESH, {"refresh": login["refresh"]}, format="json").status_code == 401

    _unsuspend_in_admin(mod_client, bob)
    assert api_client.post(LOGIN, {"login": "bob", "password": PASSWORD}, format="json").status_code == 200
    # Refresh tokens revoked at suspension stay revoked: a fresh login is needed.
    assert api_client.post(REFRESH, {"refresh": login["refresh"]}, format="json").status_code == 401


@pytest.mark.django_db
def test_hidden_tweet_is_gone_for_everyone_but_its_author_who_sees_it_marked(world, mod_client):
    tweet_id = world["tweet"]["id"]
    data = {"action": "hide_tweets", "_selected_action": [str(tweet_id)], "confirm": "yes", "reason": "abuse"}
    assert mod_client.post(TWEETS_ADMIN, data).status_code == 302

    seen = _seen_everywhere(world["viewer"], tweet_id, "bob")
    tweet_places = {k: v for k, v in seen.items() if k not in ("profile", "user_search")}
    assert not any(tweet_places.values()), seen
    assert seen["profile"]  # the author is not suspended

    own = world["author"].get(f"/api/v1/tweets/{tweet_id}")
    assert own.status_code == 200 and own.json()["hidden"] is True
    assert tweet_id in _ids(world["author"].get("/api/v1/users/bob/tweets"))

    data = {"action": "unhide_tweets", "_selected_action": [str(tweet_id)], "confirm": "yes", "reason": "ok"}
    assert mod_client.post(TWEETS_ADMIN, data).status_code == 302
    assert world["viewer"].get(f"/api/v1/tweets/{tweet_id}").json()["hidden"] is False
    assert tweet_id in _ids(world["viewer"].get("/api/v1/search", {"q": "zebracorn", "type": "tweets"}))


@pytest.mark.django_db
def test_deleted_tweet_is_404_and_leaves_the_timeline(world, mod_client, django_capture_on_commit_callbacks):
    tweet_id = world["tweet"]["id"]
    data = {"action": "delete_tweets", "_selected_action": [str(tweet_id)], "confirm": "yes", "reason": "illegal"}
    with django_capture_on_commit_callbacks(execute=True):
        assert mod_client.post(TWEETS_ADMIN, data).status_code == 302
    assert world["author"].get(f"/api/v1/tweets/{tweet_id}").status_code == 404
    assert tweet_id not in _ids(world["viewer"].get("/api/v1/timeline/home"))
    world["bob"].refresh_from_db()
    assert world["bob"].tweets_count == 0


# --- sockets ---------------------------------------------------------------------------------------


@pytest.fixture
async def _close_worker_thread_connections():
    yield
    from asgiref.sync import sync_to_async
    from django.db import connections

    await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
async def test_suspension_closes_the_users_open_sockets_with_4001(_close_worker_thread_connections):
    from moderation.services import user_suspend

    bob = await database_sync_to_async(UserFactory)()
    moderator = await database_sync_to_async(make_moderator)()
    access = await database_sync_to_async(lambda: tokens_for(bob)["access"])()
    phone = WebsocketCommunicator(application, f"/ws/notifications/?token={access}")
    laptop = WebsocketCommunicator(application, f"/ws/notifications/?token={access}")
    for socket in (phone, laptop):
        connected, _ = await socket.connect(timeout=5)
        assert connected
    bystander_user = await database_sync_to_async(UserFactory)()
    bystander_access = await database_sync_to_async(lambda: tokens_for(bystander_user)["access"])()
    bystander = WebsocketCommunicator(application, f"/ws/notifications/?token={bystander_access}")
    assert (await bystander.connect(timeout=5))[0]

    await database_sync_to_async(user_suspend)(user=bob, moderator=moderator, reason="spam")

    for socket in (phone, laptop):
        assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": CLOSE_SESSION_REVOKED}
    assert await bystander.receive_nothing(timeout=0.3)
    await bystander.disconnect()

    # And the suspended user cannot open a new one.
    again = WebsocketCommunicator(application, f"/ws/notifications/?token={access}")
    connected, _ = await again.connect(timeout=5)
    if connected:
        output = await again.receive_output(timeout=5)
        assert output["type"] == "websocket.close" and output["code"] == 4401
    await again.disconnect()


async def _room_socket(user, room_id) -> WebsocketCommunicator:
    access = await database_sync_to_async(lambda: tokens_for(user)["access"])()
    socket = WebsocketCommunicator(application, f"/ws/rooms/{room_id}/?token={access}")
    connected, _ = await socket.connect(timeout=5)
    assert connected
    first = await socket.receive_json_from(timeout=5)
    assert first["type"] == "room_state", first
    return socket


async def _next_of_type(socket: WebsocketCommunicator, message_type: str) -> dict:
    while True:
        output = await socket.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return {"closed": output.get("code")}
        import json

        frame = json.loads(output["text"])
        if frame["type"] == message_type:
            return frame


@pytest.mark.django_db(transaction=True)
async def test_ending_a_room_from_the_admin_tells_everyone_in_it(_close_worker_thread_connections):
    from moderation.services import room_end_by_moderator
    from rooms.tests.factories import live_room

    host = await database_sync_to_async(UserFactory)()
    listener = await database_sync_to_async(UserFactory)()
    moderator = await database_sync_to_async(make_moderator)()
    room = await database_sync_to_async(live_room)(host=host)
    sockets = [await _room_socket(host, room.pk), await _room_socket(listener, room.pk)]

    await database_sync_to_async(room_end_by_moderator)(room=room, moderator=moderator, reason="abuse")

    for socket in sockets:
        assert await _next_of_type(socket, "room_ended") == {"type": "room_ended", "room_id": room.pk}
        assert await _next_of_type(socket, "never") == {"closed": 1000}
    # Both ends, so each consumer's clean-up runs within the test, not when the event loop is
    # torn down (where, on a loaded machine, the cancelled channel-layer receives once hung).
    for socket in sockets:
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_suspension_also_closes_the_users_room_sockets(_close_worker_thread_connections):
    from moderation.services import user_suspend
    from rooms.tests.factories import live_room

    host = await database_sync_to_async(UserFactory)()
    speaker = await database_sync_to_async(UserFactory)()
    moderator = await database_sync_to_async(make_moderator)()
    room = await database_sync_to_async(live_room)(host=host)
    host_socket = await _room_socket(host, room.pk)
    speaker_socket = await _room_socket(speaker, room.pk)

    await database_sync_to_async(user_suspend)(user=speaker, moderator=moderator, reason="spam")

    assert await _next_of_type(speaker_socket, "never") == {"closed": CLOSE_SESSION_REVOKED}
    # Both ends, so each consumer's clean-up (its participant row) runs within the test, not
    # when the event loop is torn down.
    await speaker_socket.disconnect()
    await host_socket.disconnect()
