"""/ws/notifications/ through the full ASGI application: auth, origin, frames, delivery."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from unittest import mock

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import transaction
from rest_framework_simplejwt.tokens import AccessToken

from accounts.services import tokens_for
from accounts.tests.factories import UserFactory
from notifications import services
from notifications.models import Notification
from twitterclone.asgi import application
from twitterclone.broadcast import user_group_name
from twitterclone.ws import (
    CLOSE_LAYER_UNAVAILABLE,
    CLOSE_SESSION_REVOKED,
    CLOSE_UNAUTHENTICATED,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("async_cleanup")]

PATH = "/ws/notifications/"


@database_sync_to_async
def make_user(**kwargs):
    return UserFactory(**kwargs)


@database_sync_to_async
def access_for(user) -> str:
    return tokens_for(user)["access"]


@database_sync_to_async
def notify(recipient, actor, type: str = "follow", *, rollback: bool = False):
    """Runs notification_create inside a transaction, as an action would."""

    class Abort(Exception):
        pass

    try:
        with transaction.atomic():
            created = services.notification_create(recipient_id=recipient.pk, actor_id=actor.pk, type=type)
            if rollback:
                raise Abort
    except Abort:
        return None
    return created


async def open_socket(token: str | None = None, *, via: str = "query", headers=None) -> WebsocketCommunicator:
    path, subprotocols = PATH, None
    if token is not None and via == "query":
        path = f"{PATH}?token={token}"
    elif token is not None:
        subprotocols = ["bearer", token]
    communicator = WebsocketCommunicator(application, path, headers=headers or [], subprotocols=subprotocols)
    return communicator


async def connected(user, **kwargs) -> WebsocketCommunicator:
    communicator = await open_socket(await access_for(user), **kwargs)
    accepted, _ = await communicator.connect()
    assert accepted
    return communicator


async def assert_closed_with(communicator: WebsocketCommunicator, code: int) -> None:
    accepted, _ = await communicator.connect()
    assert accepted  # accepted first, so the client sees the close code rather than an HTTP 403
    message = await communicator.receive_output()
    assert message == {"type": "websocket.close", "code": code}
    await communicator.disconnect()  # the client goes away; the consumer stops


# --- authentication -------------------------------------------------------------------------


async def test_no_token_is_closed_with_4401():
    await assert_closed_with(await open_socket(None), CLOSE_UNAUTHENTICATED)


@pytest.mark.parametrize("via", ["query", "subprotocol"])
async def test_invalid_token_is_closed_with_4401(via):
    await assert_closed_with(await open_socket("not-a-jwt", via=via), CLOSE_UNAUTHENTICATED)


@pytest.mark.parametrize("via", ["query", "subprotocol"])
async def test_expired_token_is_closed_with_4401(via):
    user = await make_user()
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    await assert_closed_with(await open_socket(str(token), via=via), CLOSE_UNAUTHENTICATED)


@pytest.mark.parametrize("forgery", ["wrong_key", "alg_none"])
async def test_forged_tokens_are_closed_with_4401(forgery):
    import base64
    import json

    import jwt

    user = await make_user()
    payload = dict(AccessToken.for_user(user).payload)
    if forgery == "wrong_key":
        token = jwt.encode(payload, "not-the-server-key-but-long-enough-1234567890", algorithm="HS256")
    else:

        def b64(data: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

        token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}."
    await assert_closed_with(await open_socket(token, via="subprotocol"), CLOSE_UNAUTHENTICATED)


async def test_a_refresh_token_is_not_an_access_token():
    user = await make_user()
    refresh = (await database_sync_to_async(tokens_for)(user))["refresh"]
    await assert_closed_with(await open_socket(refresh), CLOSE_UNAUTHENTICATED)


async def test_suspended_users_token_is_closed_with_4401():
    user = await make_user(is_suspended=True)
    await assert_closed_with(await open_socket(await access_for(user)), CLOSE_UNAUTHENTICATED)


async def test_query_token_is_accepted_without_subprotocol():
    user = await make_user()
    communicator = await open_socket(await access_for(user))
    accepted, subprotocol = await communicator.connect()
    assert accepted and subprotocol is None
    await communicator.disconnect()


async def test_bearer_subprotocol_is_accepted_and_echoed():
    user = await make_user()
    communicator = await open_socket(await access_for(user), via="subprotocol")
    accepted, subprotocol = await communicator.connect()
    assert accepted and subprotocol == "bearer"
    await communicator.disconnect()


# --- origin ---------------------------------------------------------------------------------


async def test_a_foreign_origin_is_refused():
    user = await make_user()
    communicator = await open_socket(await access_for(user), headers=[(b"origin", b"https://evil.example")])
    accepted, _ = await communicator.connect()
    assert not accepted
    await communicator.wait()


@pytest.mark.parametrize("origin", [b"http://localhost:8000", b"http://127.0.0.1:8000", b"https://testserver"])
async def test_an_origin_among_the_allowed_hosts_is_accepted(origin):
    user = await make_user()
    communicator = await open_socket(await access_for(user), headers=[(b"origin", origin)])
    accepted, _ = await communicator.connect()
    assert accepted
    await communicator.disconnect()


async def test_websocket_allowed_origins_extends_the_list(settings):
    from channels.routing import URLRouter

    from notifications.routing import websocket_urlpatterns
    from twitterclone.ws import JwtAuthMiddleware, websocket_origin_validator

    settings.WEBSOCKET_ALLOWED_ORIGINS = ["https://app.example.com"]
    # The validator reads its list when built: build the same stack as asgi.py under this setting.
    app = websocket_origin_validator(JwtAuthMiddleware(URLRouter(websocket_urlpatterns)))
    user = await make_user()
    for origin, expected in ((b"https://app.example.com", True), (b"https://other.example.com", False)):
        communicator = WebsocketCommunicator(
            app, f"{PATH}?token={await access_for(user)}", headers=[(b"origin", origin)]
        )
        accepted, _ = await communicator.connect()
        assert accepted is expected, origin
        if accepted:
            await communicator.disconnect()


async def test_a_client_without_origin_is_accepted():
    # Native apps and servers send no Origin; they authenticate with the token.
    user = await make_user()
    communicator = await connected(user)
    await communicator.disconnect()


# --- frames ---------------------------------------------------------------------------------


async def test_ping_gets_pong():
    communicator = await connected(await make_user())
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "malformed"),
        ("[1, 2]", "malformed"),
        ('{"no_type": 1}', "malformed"),
        ('{"type": 7}', "malformed"),
        ('{"type": "subscribe"}', "unknown_type"),
        ("x" * 70_000, "frame_too_large"),
    ],
)
async def test_malformed_frames_get_an_error_and_the_socket_stays_open(frame, code):
    communicator = await connected(await make_user())
    await communicator.send_to(text_data=frame)
    error = await communicator.receive_json_from()
    assert error["type"] == "error" and error["code"] == code and error["message"]
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


async def test_binary_frames_are_parsed_like_text():
    communicator = await connected(await make_user())
    await communicator.send_to(bytes_data=b"\xff\xfe")
    assert (await communicator.receive_json_from())["code"] == "malformed"
    await communicator.disconnect()


# --- delivery -------------------------------------------------------------------------------


async def test_a_new_notification_is_pushed_with_the_rest_shape():
    user, actor = await make_user(), await make_user()
    communicator = await connected(user)
    created = await notify(user, actor)
    frame = await communicator.receive_json_from()
    assert frame["type"] == "notification"
    item = frame["notification"]
    assert item["id"] == created.pk and item["type"] == "follow" and item["read"] is False
    assert item["actor"]["username"] == actor.username
    assert set(item) == {"id", "type", "actor", "tweet", "room", "created_at", "read"}
    await communicator.disconnect()


async def test_every_device_of_the_user_gets_it():
    user, actor = await make_user(), await make_user()
    phone = await connected(user)
    laptop = await connected(user, via="subprotocol")
    created = await notify(user, actor)
    for socket in (phone, laptop):
        assert (await socket.receive_json_from())["notification"]["id"] == created.pk
        await socket.disconnect()


async def test_a_socket_never_receives_another_users_notifications():
    alice, bob, actor = await make_user(), await make_user(), await make_user()
    alice_socket, bob_socket = await connected(alice), await connected(bob)
    created = await notify(alice, actor)
    assert (await alice_socket.receive_json_from())["notification"]["id"] == created.pk
    assert await bob_socket.receive_nothing(timeout=0.3)
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_a_rolled_back_action_pushes_nothing_and_stores_nothing():
    user, actor = await make_user(), await make_user()
    communicator = await connected(user)
    await notify(user, actor, rollback=True)
    assert await communicator.receive_nothing(timeout=0.3)
    assert not await database_sync_to_async(Notification.objects.exists)()
    await communicator.disconnect()


async def test_excluded_notifications_are_not_pushed():
    user = await make_user()
    communicator = await connected(user)
    assert await notify(user, user) is None  # own action
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_disconnect_leaves_the_group_while_other_devices_keep_receiving():
    user, actor = await make_user(), await make_user()
    phone, laptop = await connected(user), await connected(user)
    layer = get_channel_layer()
    with mock.patch.object(layer, "group_discard", wraps=layer.group_discard) as discard:
        await phone.disconnect()
    assert [call.args[0] for call in discard.call_args_list] == [user_group_name(user.pk)]
    created = await notify(user, actor)
    assert (await laptop.receive_json_from())["notification"]["id"] == created.pk
    await laptop.disconnect()


async def test_session_revoked_closes_with_4001():
    user = await make_user()
    communicator = await connected(user)
    await get_channel_layer().group_send(user_group_name(user.pk), {"type": "session.revoked"})
    assert await communicator.receive_output() == {"type": "websocket.close", "code": CLOSE_SESSION_REVOKED}
    await communicator.disconnect()


# --- channel layer failures -----------------------------------------------------------------


async def test_channel_layer_unavailable_at_connect_closes_with_4503(settings):
    # A Redis layer on a port where nothing listens: group_add fails for real.
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    user = await make_user()
    communicator = await open_socket(await access_for(user))
    accepted, _ = await communicator.connect(timeout=5)
    assert accepted
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": CLOSE_LAYER_UNAVAILABLE}
    await communicator.disconnect()


async def test_channel_layer_failing_under_an_open_socket_closes_it_with_4503():
    user = await make_user()
    layer = get_channel_layer()
    fail_now = asyncio.Event()
    real_receive = layer.receive

    async def receive_until_redis_dies(channel):
        receiving = asyncio.ensure_future(real_receive(channel))
        failing = asyncio.ensure_future(fail_now.wait())
        done, _ = await asyncio.wait({receiving, failing}, return_when=asyncio.FIRST_COMPLETED)
        if failing in done:
            receiving.cancel()
            raise ConnectionError("redis went away")
        failing.cancel()
        return receiving.result()

    with mock.patch.object(layer, "receive", side_effect=receive_until_redis_dies):
        communicator = await connected(user)
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from() == {"type": "pong"}
        fail_now.set()
        assert await communicator.receive_output() == {"type": "websocket.close", "code": CLOSE_LAYER_UNAVAILABLE}
        await communicator.disconnect()


@pytest.mark.redis
@pytest.mark.slow
async def test_an_idle_socket_on_redis_stays_open_and_still_receives():
    # channels-redis polls with BZPOPMIN for 5 s; the Redis client's read timeout must be longer,
    # or every idle poll fails and the socket is closed (redis-py 8 defaults socket_timeout to 5 s).
    user, actor = await make_user(), await make_user()
    communicator = await connected(user)
    assert await communicator.receive_nothing(timeout=7, interval=0.5)  # idle past one poll
    created = await notify(user, actor)
    assert (await communicator.receive_json_from(timeout=5))["notification"]["id"] == created.pk
    await communicator.disconnect()
