"""Ending sessions closes sockets: a socket opened before a password change, a password reset or a
"log out everywhere" is closed with 4001 and gets none of the user's later notifications, and its
token no longer opens one."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.mail import mailed_reset_code
from notifications import services
from twitterclone.asgi import application
from twitterclone.ws import CLOSE_SESSION_REVOKED, CLOSE_UNAUTHENTICATED

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("async_cleanup")]

NEW_PASSWORD = "a-brand-new-passphrase-77"


def _change_password(user, tokens) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = client.post(
        "/api/v1/auth/password/change", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 204, response.content


def _reset_password(user, tokens) -> None:
    account_services.password_reset_request(email=user.email)
    code = mailed_reset_code(user.email)
    account_services.password_reset_confirm(email=user.email, code=code, new_password=NEW_PASSWORD)


def _logout_all(user, tokens) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.post("/api/v1/auth/logout_all").status_code == 204


@pytest.mark.parametrize("end_sessions", [_change_password, _reset_password, _logout_all])
async def test_open_socket_is_closed_and_gets_no_more_notifications(end_sessions):
    user = await database_sync_to_async(UserFactory)()
    actor = await database_sync_to_async(UserFactory)()
    tokens = await database_sync_to_async(account_services.tokens_for)(user)
    socket = WebsocketCommunicator(application, f"/ws/notifications/?token={tokens['access']}")
    assert (await socket.connect())[0]
    first = await database_sync_to_async(services.notification_create)(
        recipient_id=user.pk, actor_id=actor.pk, type="follow"
    )
    assert (await socket.receive_json_from())["notification"]["id"] == first.pk  # live before

    await database_sync_to_async(end_sessions)(user, tokens)

    assert await socket.receive_output(timeout=3) == {"type": "websocket.close", "code": CLOSE_SESSION_REVOKED}
    await database_sync_to_async(services.notification_create)(recipient_id=user.pk, actor_id=actor.pk, type="like")
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()

    again = WebsocketCommunicator(application, f"/ws/notifications/?token={tokens['access']}")
    assert (await again.connect())[0]
    assert await again.receive_output() == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}
    await again.disconnect()
