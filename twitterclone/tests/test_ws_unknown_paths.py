"""A WebSocket path no consumer serves is accepted and closed with 4404: no "No route found"
traceback in the log and no 500 handshake. A room id is ASCII digits (``\\d`` also matched
``/ws/rooms/\u0661/``, an Arabic-Indic one, which ``int()`` read as room 1)."""

from __future__ import annotations

import logging

import pytest
from channels.testing import WebsocketCommunicator

from twitterclone.asgi import application
from twitterclone.ws import CLOSE_NOT_FOUND

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "path",
    [
        "/ws/nope/",
        "/ws/rooms/abc/",
        "/ws/rooms/\u0661/",
        "/ws/rooms/\x00/",
        "/ws/notifications/x",
        "/api/v1/streamingX",
        "/",
    ],
)
async def test_an_unknown_socket_path_is_closed_with_4404(path, caplog):
    socket = WebsocketCommunicator(application, path)
    with caplog.at_level(logging.WARNING):
        connected, _ = await socket.connect()
        assert connected
        assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    await socket.disconnect()
