"""/api/v1/streaming over WebSocket, through the full ASGI application (WebsocketCommunicator):
authentication, subscriptions, and the events our live pushes carry."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from accounts.tests.factories import UserFactory
from mastodon_api.services import OOB_URI, client_app_create
from social.services import follow_create, mute_create
from tweets import services as tweets
from twitterclone.asgi import application
from twitterclone.ws import CLOSE_SESSION_REVOKED

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("streaming_cleanup")]


@pytest.fixture
async def streaming_cleanup():
    yield
    from asgiref.sync import sync_to_async
    from channels.layers import channel_layers
    from django.db import connections

    from twitterclone.socket_threads import close_socket_database_connections

    await sync_to_async(connections.close_all)()
    await sync_to_async(close_socket_database_connections)()
    for layer in list(channel_layers.backends.values()):
        close_pools = getattr(layer, "close_pools", None)
        if close_pools is not None:
            await close_pools()
    channel_layers.backends.clear()


@database_sync_to_async
def token_for(user, scope: str = "read write follow") -> str:
    from django.test import Client

    app = client_app_create(name="stream", redirect_uris=OOB_URI, scopes="read write follow")
    response = Client().post(
        "/oauth/token",
        {
            "grant_type": "password",
            "client_id": app.app.application.client_id,
            "client_secret": app.client_secret,
            "username": user.username,
            "password": "correct-horse-battery-staple",
            "scope": scope,
        },
    )
    return response.json()["access_token"]


make_user = database_sync_to_async(lambda **kw: UserFactory(**kw))


@database_sync_to_async
def in_transaction(function, **kwargs):
    with transaction.atomic():
        return function(**kwargs)


async def open_stream(query: str = "", **kwargs) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/api/v1/streaming{query}", **kwargs)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def frame(communicator) -> dict:
    message = json.loads(await communicator.receive_from(timeout=5))
    return message


async def test_user_stream_gets_updates_of_followed_accounts_and_notifications():
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    await in_transaction(follow_create, follower=alice, followee=bob)
    token = await token_for(alice)
    socket = await open_stream(f"?access_token={token}&stream=user")
    tweet = await in_transaction(tweets.tweet_create, author=bob, text="hello #live")
    update = await frame(socket)
    assert update["stream"] == ["user"] and update["event"] == "update"
    status = json.loads(update["payload"])
    assert status["id"] == str(tweet.pk) and status["account"]["username"] == "bob"
    await in_transaction(
        tweets.like_create, user=bob, tweet_id=(await in_transaction(tweets.tweet_create, author=alice, text="mine")).pk
    )
    own = await frame(socket)  # alice's own post reaches her home stream
    assert own["event"] == "update" and json.loads(own["payload"])["content"] == "<p>mine</p>"
    notification = await frame(socket)
    assert notification["event"] == "notification"
    assert json.loads(notification["payload"])["type"] == "favourite"
    await in_transaction(tweets.tweet_delete, tweet=tweet, actor=bob)
    deleted = await frame(socket)
    assert deleted == {"stream": ["user"], "event": "delete", "payload": str(tweet.pk)}
    await socket.disconnect()


async def test_token_in_the_subprotocol_is_echoed_and_subscribe_frames_work():
    alice, bob = await make_user(username="carol"), await make_user(username="dave")
    token = await token_for(alice)
    socket = WebsocketCommunicator(application, "/api/v1/streaming", subprotocols=[token])
    connected, subprotocol = await socket.connect()
    assert connected and subprotocol == token
    await socket.send_to(text_data=json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "News"}))
    await socket.send_to(text_data=json.dumps({"type": "subscribe", "stream": "public"}))
    await socket.send_to(text_data=json.dumps({"type": "subscribe", "stream": "nonsense"}))
    assert "error" in await frame(socket)
    await in_transaction(tweets.tweet_create, author=bob, text="breaking #news")
    frames = [await frame(socket), await frame(socket)]
    assert sorted(tuple(f["stream"]) for f in frames) == [("hashtag", "News"), ("public",)]
    await socket.send_to(text_data=json.dumps({"type": "unsubscribe", "stream": "public"}))
    await in_transaction(tweets.tweet_create, author=bob, text="more #news")
    assert (await frame(socket))["stream"] == ["hashtag", "News"]
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_the_stream_is_subscribed_when_the_handshake_completes(monkeypatch):
    """The socket joins its groups before accepting: a post made as soon as the connection is
    open reaches it, however slowly the channel layer joins (joining after the accept lost it)."""
    from channels.layers import get_channel_layer

    alice, bob = await make_user(username="lena"), await make_user(username="milo")
    await in_transaction(follow_create, follower=alice, followee=bob)
    layer = get_channel_layer()
    group_add = layer.group_add

    async def slow_group_add(group: str, channel: str) -> None:
        await asyncio.sleep(0.15)
        await group_add(group, channel)

    monkeypatch.setattr(layer, "group_add", slow_group_add)
    home = WebsocketCommunicator(application, f"/api/v1/streaming?access_token={await token_for(alice)}&stream=user")
    connected, _ = await home.connect(timeout=5)
    assert connected
    await in_transaction(tweets.tweet_create, author=bob, text="right away")
    assert json.loads((await frame(home))["payload"])["content"] == "<p>right away</p>"
    await home.disconnect()


async def test_followers_only_and_muted_posts_do_not_reach_others():
    alice, bob, eve = (
        await make_user(username="erin"),
        await make_user(username="frank"),
        await make_user(username="gina"),
    )
    await in_transaction(follow_create, follower=alice, followee=bob)
    await in_transaction(follow_create, follower=alice, followee=eve)
    await in_transaction(mute_create, muter=alice, muted=eve)
    public_socket = await open_stream(f"?access_token={await token_for(eve)}&stream=public")
    home = await open_stream(f"?access_token={await token_for(alice)}&stream=user")
    await in_transaction(tweets.tweet_create, author=bob, text="followers only", visibility="followers")
    await in_transaction(tweets.tweet_create, author=eve, text="muted")
    update = await frame(home)
    assert json.loads(update["payload"])["content"] == "<p>followers only</p>"  # alice follows bob
    assert await home.receive_nothing(timeout=0.5)  # eve is muted
    assert json.loads((await frame(public_socket))["payload"])["content"] == "<p>muted</p>"  # eve's own public post
    assert await public_socket.receive_nothing(timeout=0.5)  # never bob's followers-only post
    await home.disconnect()
    await public_socket.disconnect()


async def test_an_edit_through_put_reaches_the_stream_as_status_update():
    alice, bob = await make_user(username="jane"), await make_user(username="kurt")
    await in_transaction(follow_create, follower=alice, followee=bob)
    tweet = await in_transaction(tweets.tweet_create, author=bob, text="before")
    socket = await open_stream(f"?access_token={await token_for(alice)}&stream=user")
    bob_token = await token_for(bob)

    @database_sync_to_async
    def edit():
        from django.test import Client

        return Client().put(
            f"/api/v1/statuses/{tweet.pk}",
            json.dumps({"status": "after"}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {bob_token}",
        )

    assert (await edit()).status_code == 200
    update = await frame(socket)
    assert update["stream"] == ["user"] and update["event"] == "status.update"
    status = json.loads(update["payload"])
    assert status["id"] == str(tweet.pk) and status["content"] == "<p>after</p>" and status["edited_at"]
    await socket.disconnect()


@pytest.mark.parametrize("query", ["", "?access_token=nonsense", "?token=abc"])
async def test_no_valid_token_no_stream(query):
    socket = WebsocketCommunicator(application, f"/api/v1/streaming{query}")
    connected, _ = await socket.connect()
    assert not connected


async def test_a_token_without_read_scope_cannot_subscribe():
    user = await make_user(username="hank")
    socket = await open_stream(f"?access_token={await token_for(user, scope='write')}")
    await socket.send_to(text_data=json.dumps({"type": "subscribe", "stream": "user"}))
    assert "outside the authorized scopes" in (await frame(socket))["error"]
    await socket.disconnect()


async def test_revoking_the_session_closes_the_stream():
    from accounts.sessions import sessions_revoke

    user = await make_user(username="ivan")
    socket = await open_stream(f"?access_token={await token_for(user)}&stream=user")
    await in_transaction(sessions_revoke, user=user)
    closed = await socket.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": CLOSE_SESSION_REVOKED}
