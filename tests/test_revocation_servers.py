"""Revocation across server processes: two real daphne servers on one PostgreSQL and Redis. A socket
held on one server is closed with 4001 within seconds of "log out everywhere" on the other, and the
old access token stops working on both, for HTTP and sockets (the token version is shared through
Redis, not kept per process)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from tests.server import register, run_server, server_env, ws_url

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def socket_url(base: str, access: str) -> str:
    return ws_url(base, f"/ws/notifications/?token={access}")


async def close_code(socket, timeout: float) -> int:
    """Reads until the server closes the socket; returns the close code."""
    try:
        while True:
            await asyncio.wait_for(socket.recv(), timeout=timeout)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else closed.code


def test_logout_all_on_one_server_closes_the_socket_on_the_other(tmp_path):
    env = server_env()
    with (
        run_server(env, log_path=tmp_path / "a.log") as server_a,
        run_server(env, log_path=tmp_path / "b.log") as server_b,
    ):
        erin = register(server_a, "erin")
        fan = register(server_b, "fan")
        access = erin["access"]
        headers = {"Authorization": f"Bearer {access}"}
        assert httpx.get(f"{server_a}/api/v1/users/me", headers=headers).status_code == 200  # cached on A

        async def scenario() -> None:
            async with websockets.connect(socket_url(server_a, access)) as socket:
                follow = httpx.post(
                    f"{server_b}/api/v1/users/erin/follow", headers={"Authorization": f"Bearer {fan['access']}"}
                )
                assert follow.status_code in (200, 201)
                frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
                assert frame["type"] == "notification" and frame["notification"]["type"] == "follow"

                assert httpx.post(f"{server_b}/api/v1/auth/logout_all", headers=headers).status_code == 204
                assert await close_code(socket, timeout=5) == 4001

            async with websockets.connect(socket_url(server_a, access)) as again:
                assert await close_code(again, timeout=5) == 4401

        asyncio.run(scenario())
        for server in (server_a, server_b):
            response = httpx.get(f"{server}/api/v1/users/me", headers=headers)
            assert response.status_code == 401, response.text
        refreshed = httpx.post(f"{server_a}/api/v1/auth/token/refresh", json={"refresh": erin["refresh"]})
        assert refreshed.status_code == 401
