"""daphne answers through the application, not around it (twitterclone/daphne_server.py), on a
real daphne process: a malformed multipart POST gets the API's JSON 400 (Twisted parsed POST bodies
itself and answered a bare 400), and a WebSocket message over daphne's 1 MiB limit is closed with
1009 "message too big" (autobahn dropped the connection: 1006)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import websockets

from tests.server import migrate, open_notification_socket, register, run_server

pytestmark = pytest.mark.slow

MALFORMED = b"garbage"  # no part, no boundary: Twisted's multipart parser raised on it


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("daphne")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp / 'daphne.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "RATE_LIMITS_ENABLED": "false",
        "MEDIA_ROOT": str(tmp / "media"),
    }
    migrate(env)
    with run_server(env) as url:
        yield url


@pytest.mark.parametrize("path", ["/api/v1/apps", "/api/v1/auth/login"])
def test_a_malformed_multipart_post_gets_the_api_json_error(base, path):
    response = httpx.post(base + path, content=MALFORMED, headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code in (400, 415), response.text
    assert response.headers["Content-Type"].startswith("application/json"), response.content
    assert "error" in response.json()


def test_a_websocket_message_over_daphnes_limit_is_closed_with_1009(base):
    access = register(base, "bigframes")["access"]

    async def send_too_much() -> websockets.ConnectionClosed:
        socket = await open_notification_socket(base, access)
        await socket.send("x" * (1024 * 1024 + 1))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 10)
        return closed.value

    closed = asyncio.run(send_too_much())
    assert closed.rcvd is not None, "the server dropped the connection without a close frame (1006)"
    assert closed.rcvd.code == 1009
    assert "exceeds payload limit" in closed.rcvd.reason
