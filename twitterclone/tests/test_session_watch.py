"""A lost ``session.revoked`` push does not leave a socket open: every open socket's access token
is checked again on a heartbeat (``twitterclone.session_watch``) and a revoked one closes with
4001, the push path's close code. Through the real ASGI application (``WebsocketCommunicator``)."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts import sessions
from accounts.services import tokens_for
from accounts.tests.factories import UserFactory
from rooms.tests.factories import live_room
from twitterclone import session_watch
from twitterclone.asgi import application
from twitterclone.ws import CLOSE_SESSION_REVOKED

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sockets_cleanup")]


@pytest.fixture
async def sockets_cleanup():
    """After each test: the socket threads' and asgiref's database connections closed, the
    channel layer dropped (its connections belong to this test's event loop)."""
    yield
    from asgiref.sync import sync_to_async
    from channels.layers import channel_layers
    from django.db import connections

    await sync_to_async(connections.close_all)()
    for layer in list(channel_layers.backends.values()):
        if getattr(layer, "close_pools", None) is not None:
            await layer.close_pools()
    channel_layers.backends.clear()


@pytest.fixture
def lost_pushes(monkeypatch):
    """Every push after commit is lost (the channel layer was down, the message dropped): only
    the heartbeat check can close the sockets now."""
    dropped = []
    monkeypatch.setattr(sessions.effects, "push_after_commit", lambda messages: dropped.append(messages))
    return dropped


async def _socket(path: str, access: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"{path}?token={access}")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def _still_open(communicator: WebsocketCommunicator) -> bool:
    await communicator.send_json_to({"type": "ping"})
    while True:
        output = await communicator.receive_output(5)
        if output["type"] == "websocket.close":
            return False
        if output.get("text") == '{"type": "pong"}':
            return True


async def _close_code(communicator: WebsocketCommunicator, timeout: float = 5) -> int:
    while True:
        output = await communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            return output["code"]


async def test_a_revoked_session_with_its_push_lost_is_closed_4001_on_the_heartbeat(lost_pushes):
    user = await database_sync_to_async(UserFactory)()
    other = await database_sync_to_async(UserFactory)()
    access = await database_sync_to_async(lambda: tokens_for(user)["access"])()
    other_access = await database_sync_to_async(lambda: tokens_for(other)["access"])()
    notifications = await _socket("/ws/notifications/", access)
    bystander = await _socket("/ws/notifications/", other_access)
    room = await database_sync_to_async(live_room)(host=user)
    room_socket = await _socket(f"/ws/rooms/{room.pk}/", access)
    assert (await room_socket.receive_json_from(5))["type"] == "room_state"

    await session_watch.check_now()  # nothing revoked yet: everything stays open
    assert await _still_open(notifications) and await _still_open(room_socket)

    await database_sync_to_async(sessions.sessions_revoke)(user=user)
    assert lost_pushes  # the push was sent and lost: without the check these sockets stay open
    assert await _still_open(notifications)
    await session_watch.check_now()
    assert await _close_code(notifications) == CLOSE_SESSION_REVOKED
    assert await _close_code(room_socket) == CLOSE_SESSION_REVOKED
    assert await _still_open(bystander)  # another user's socket is not touched
    for communicator in (notifications, room_socket, bystander):
        await communicator.disconnect()


async def test_the_heartbeat_runs_on_its_own_within_its_interval(lost_pushes, settings):
    settings.WEBSOCKET_SESSION_CHECK_SECONDS = 0.2
    user = await database_sync_to_async(UserFactory)()
    access = await database_sync_to_async(lambda: tokens_for(user)["access"])()
    communicator = await _socket("/ws/notifications/", access)
    await asyncio.sleep(0.5)
    assert await _still_open(communicator)  # beats happened; the session is current
    await database_sync_to_async(sessions.sessions_revoke)(user=user)
    assert await _close_code(communicator, timeout=3) == CLOSE_SESSION_REVOKED
    await communicator.disconnect()


async def test_logging_one_session_out_closes_its_socket_but_not_the_users_other_sessions(lost_pushes):
    user = await database_sync_to_async(UserFactory)()
    phone = await database_sync_to_async(tokens_for)(user)
    laptop = await database_sync_to_async(tokens_for)(user)
    phone_socket = await _socket("/ws/notifications/", phone["access"])
    laptop_socket = await _socket("/ws/notifications/", laptop["access"])
    await database_sync_to_async(sessions.token_logout)(user=user, refresh=phone["refresh"])
    await session_watch.check_now()
    assert await _close_code(phone_socket) == CLOSE_SESSION_REVOKED
    assert await _still_open(laptop_socket)
    for communicator in (phone_socket, laptop_socket):
        await communicator.disconnect()


def test_many_sockets_are_checked_in_one_cache_round_trip(django_assert_max_num_queries, monkeypatch):
    from django.core.cache import cache

    users = [UserFactory() for _ in range(5)]
    claims = []
    for user in users:
        from rest_framework_simplejwt.tokens import AccessToken

        claims.append(dict(AccessToken(tokens_for(user)["access"]).payload))
    assert sessions.access_tokens_current(claims) == [True] * 5  # fills the cached versions
    sessions.sessions_revoke(user=users[2])
    calls = []
    real_get_many = cache.get_many
    monkeypatch.setattr(cache, "get_many", lambda keys: calls.append(keys) or real_get_many(keys))
    with django_assert_max_num_queries(1):  # at most the revoked user's row (its cache entry)
        assert sessions.access_tokens_current(claims) == [True, True, False, True, True]
    assert len(calls) == 1


def test_a_failing_check_of_one_kind_does_not_spare_the_others_lapsed_sockets(caplog):
    # E.g. the OAuth tokens' query fails (database down) while the JWT check still answers from
    # the cache: the revoked JWT sockets close on this beat all the same.
    oauth_socket, jwt_socket, current_socket = object(), object(), object()

    def oauth_check(credentials):
        raise RuntimeError("database unreachable")

    def jwt_check(credentials):
        return [credential != "revoked" for credential in credentials]

    watched = [
        session_watch._Watched(oauth_socket, 7, oauth_check),
        session_watch._Watched(jwt_socket, "revoked", jwt_check),
        session_watch._Watched(current_socket, "current", jwt_check),
    ]
    assert session_watch._lapsed(watched) == [jwt_socket]
    assert "socket session check failed for 1 sockets" in caplog.text
