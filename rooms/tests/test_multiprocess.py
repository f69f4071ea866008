"""Two real daphne processes on one PostgreSQL database and one Redis channel layer: a host on
one process and a listener on the other see each other's joins, relay signalling and both get
``room_ended`` when the room ends."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect

from accounts.services import tokens_for
from accounts.tests.factories import UserFactory
from rooms.tests.factories import live_room
from tests.server import run_server, server_env, ws_url

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


async def next_of(ws, message_type: str, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == message_type:
                return frame


def test_signalling_crosses_server_processes(settings, tmp_path):
    env = server_env(rate_limits=True, MEDIA_ROOT=str(tmp_path / "media"))
    host, listener = UserFactory(), UserFactory()
    room = live_room(host=host)
    host_token, listener_token = tokens_for(host)["access"], tokens_for(listener)["access"]

    with run_server(env, log_path=tmp_path / "a.log") as base_a, run_server(env, log_path=tmp_path / "b.log") as base_b:

        async def scenario() -> None:
            url_a = ws_url(base_a, f"/ws/rooms/{room.pk}/?token={host_token}")
            url_b = ws_url(base_b, f"/ws/rooms/{room.pk}/?token={listener_token}")
            async with connect(url_a) as host_ws, connect(url_b) as listener_ws:
                assert (await next_of(host_ws, "room_state"))["you"]["role"] == "host"
                assert (await next_of(listener_ws, "room_state"))["you"]["role"] == "listener"
                joined = await next_of(host_ws, "participant_joined")
                assert joined["participant"]["user"]["id"] == listener.pk

                await host_ws.send(json.dumps({"type": "offer", "to": listener.pk, "sdp": "v=0 cross"}))
                offer = await next_of(listener_ws, "offer")
                assert (offer["from"], offer["sdp"]) == (host.pk, "v=0 cross")
                await listener_ws.send(json.dumps({"type": "answer", "to": host.pk, "sdp": "v=0 back"}))
                assert (await next_of(host_ws, "answer"))["from"] == listener.pk

                # A REST change on server B reaches the host's socket on server A.
                async with httpx.AsyncClient(base_url=base_b) as client:
                    response = await client.post(
                        f"/api/v1/rooms/{room.pk}/raise_hand", headers={"Authorization": f"Bearer {listener_token}"}
                    )
                    assert response.status_code == 200
                updated = await next_of(host_ws, "participant_updated")
                assert updated["participant"]["hand_raised"] is True

                async with httpx.AsyncClient(base_url=base_b) as client:
                    response = await client.post(
                        f"/api/v1/rooms/{room.pk}/end", headers={"Authorization": f"Bearer {host_token}"}
                    )
                    assert response.status_code == 200
                for ws in (host_ws, listener_ws):
                    assert await next_of(ws, "room_ended") == {"type": "room_ended", "room_id": room.pk}
                    await asyncio.wait_for(ws.wait_closed(), 10)
                    assert ws.close_code == 1000

        asyncio.run(scenario())
