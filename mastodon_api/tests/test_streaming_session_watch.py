"""Mastodon streaming connections opened with an OAuth token (WebSocket and server-sent events)
are re-checked on the session heartbeat (``twitterclone.session_watch``) like our JWT sockets:
a revoked, replaced or expired token, or a suspended or deactivated user, ends the connection at
the next beat even when the ``session.revoked`` push was lost. Through the real ASGI application."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from oauth2_provider.models import AccessToken

from accounts import sessions
from accounts.models import User
from accounts.tests.factories import UserFactory
from mastodon_api.tests.test_streaming import streaming_cleanup, token_for  # noqa: F401 (fixture)
from twitterclone import session_watch
from twitterclone.asgi import application
from twitterclone.tests.test_session_watch import lost_pushes  # noqa: F401 (fixture)
from twitterclone.ws import CLOSE_SESSION_REVOKED

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("streaming_cleanup", "lost_pushes"),
]

make_user = database_sync_to_async(lambda **kw: UserFactory(**kw))


@database_sync_to_async
def _revoke_session(user: User, raw: str) -> None:
    sessions.sessions_revoke(user=user)  # deletes the user's OAuth tokens; its push is lost


@database_sync_to_async
def _expire_token(user: User, raw: str) -> None:
    AccessToken.objects.filter(user=user).update(expires=timezone.now() - timedelta(seconds=1))


@database_sync_to_async
def _suspend_without_revoking(user: User, raw: str) -> None:
    # The flag alone (no revocation, no push): the heartbeat reads it with the token.
    User.objects.filter(pk=user.pk).update(is_suspended=True)


@database_sync_to_async
def _deactivate_without_revoking(user: User, raw: str) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)


@database_sync_to_async
def _revoke_the_token(user: User, raw: str) -> None:
    # What /oauth/revoke does for a client logging out (django-oauth-toolkit's AccessToken.revoke).
    token = AccessToken.objects.get(token_checksum=hashlib.sha256(raw.encode()).hexdigest())
    token.revoke()
    assert not AccessToken.objects.filter(pk=token.pk).exists()


ENDINGS = [_revoke_session, _expire_token, _suspend_without_revoking, _deactivate_without_revoking]


async def _ws(raw: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, f"/api/v1/streaming?access_token={raw}&stream=user")
    connected, _ = await socket.connect(timeout=5)
    assert connected
    return socket


async def _ws_open(socket: WebsocketCommunicator) -> bool:
    # An unknown subscription answers an error frame: the socket still reads and writes.
    await socket.send_to(text_data=json.dumps({"type": "subscribe", "stream": "nonsense"}))
    output = await socket.receive_output(5)
    return output["type"] == "websocket.send" and "error" in json.loads(output["text"])


@pytest.mark.parametrize("end", [*ENDINGS, _revoke_the_token], ids=lambda f: f.__name__.strip("_"))
async def test_a_websocket_stream_closes_4001_on_the_heartbeat(end):
    user, other = await make_user(), await make_user()
    raw, other_raw = await token_for(user), await token_for(other)
    socket, bystander = await _ws(raw), await _ws(other_raw)
    await session_watch.check_now()  # current: stays open
    assert await _ws_open(socket)
    await end(user, raw)
    assert await _ws_open(socket)  # no push reached it: only the heartbeat can close it
    await session_watch.check_now()
    assert await socket.receive_output(5) == {"type": "websocket.close", "code": CLOSE_SESSION_REVOKED}
    assert await _ws_open(bystander)  # another user's stream is untouched
    await socket.disconnect()
    await bystander.disconnect()


async def _sse(raw: str) -> ApplicationCommunicator:
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": "/api/v1/streaming/user",
        "raw_path": b"/api/v1/streaming/user",
        "query_string": f"access_token={raw}".encode(),
        "root_path": "",
        "scheme": "http",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    stream = ApplicationCommunicator(application, scope)
    await stream.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await stream.receive_output(5)
    assert start["type"] == "http.response.start" and start["status"] == 200, start
    assert (await stream.receive_output(5))["body"] == b":)\n\n"
    return stream


@pytest.mark.parametrize("end", ENDINGS, ids=lambda f: f.__name__.strip("_"))
async def test_an_event_stream_ends_on_the_heartbeat(end, settings):
    settings.MASTODON_STREAMING_HEARTBEAT_SECONDS = 3600  # no comment lines in the way
    user, other = await make_user(), await make_user()
    stream, bystander = await _sse(await token_for(user)), await _sse(await token_for(other))
    await session_watch.check_now()
    assert await stream.receive_nothing(0.2)  # current: still streaming
    await end(user, "")
    await session_watch.check_now()
    assert await stream.receive_output(5) == {"type": "http.response.body", "body": b"", "more_body": False}
    await stream.send_input({"type": "http.disconnect"})  # what the server sends once the body ended
    await stream.wait(5)  # the consumer stopped
    assert await bystander.receive_nothing(0.2)
    await bystander.send_input({"type": "http.disconnect"})
    await bystander.wait(5)


async def test_the_heartbeat_closes_an_oauth_stream_on_its_own(settings):
    settings.WEBSOCKET_SESSION_CHECK_SECONDS = 0.2
    user = await make_user()
    socket = await _ws(await token_for(user))
    await _expire_token(user, "")
    assert await socket.receive_output(3) == {"type": "websocket.close", "code": CLOSE_SESSION_REVOKED}
    await socket.disconnect()


def test_the_open_streams_are_checked_in_one_query(django_assert_num_queries):
    from mastodon_api.tokens import oauth_tokens_current

    users = [UserFactory() for _ in range(3)]
    tokens = [
        AccessToken.objects.create(user=u, token=f"tok{u.pk}", expires=timezone.now() + timedelta(hours=1))
        for u in users
    ]
    User.objects.filter(pk=users[1].pk).update(is_suspended=True)
    with django_assert_num_queries(1):
        assert oauth_tokens_current([t.pk for t in tokens] + [10**9]) == [True, False, True, False]
