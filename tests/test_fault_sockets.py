"""WebSocket clients vanish from a live room without a close frame (their TCP connection is just
dropped, ``transport.abort()``), on a real daphne server with a real Celery worker scheduling the
grace-period checks (``CELERY_TASK_ALWAYS_EAGER=false``, private redis-server as broker and channel
layer, the pytest PostgreSQL test database).

With the grace periods lowered, the dropped listeners leave (``participant_left``, reason
``disconnected``) after ``ROOM_DISCONNECT_GRACE_SECONDS`` and not before; the dropped host is
replaced by the co-host after ``ROOM_HOST_GRACE_SECONDS``; when that new host drops too the room
ends. Counts, roles and the room's host stay consistent at every step, over REST and on the
sockets that remain.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import uuid

import httpx
import pytest
import websockets

from rooms.models import Participant, Room
from tests.server import make_user, run_celery_worker, run_server, server_env, ws_url
from tests.services import private_redis

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
    pytest.mark.timeout(90),
]

GRACE = 2.0
HOST_GRACE = 3.0


class Client:
    """A real websockets client on the room socket, with the frames it received."""

    def __init__(self, name: str, socket):
        self.name = name
        self.socket = socket
        self.frames: list[dict] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                self.frames.append(json.loads(raw))
        except websockets.ConnectionClosed:
            pass

    def drop(self) -> None:
        """Gone without a close frame, like a phone losing its network."""
        self.socket.transport.abort()
        self.reader.cancel()

    async def wait_for(self, predicate, timeout: float = 15) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                for frame in self.frames:
                    if predicate(frame):
                        return frame
                await asyncio.sleep(0.05)


async def connect(base: str, room_id: int, name: str, access: str) -> Client:
    url = ws_url(base, f"/ws/rooms/{room_id}/")
    client = Client(name, await websockets.connect(url, subprotocols=["bearer", access], open_timeout=10))
    await client.wait_for(lambda f: f["type"] == "room_state")
    return client


def left(user_id: int):
    return lambda f: f["type"] == "participant_left" and f["participant"]["user"]["id"] == user_id


def test_abruptly_dropped_clients_leave_after_the_grace_period_and_the_room_stays_consistent(tmp_path):
    prefix = f"sk{uuid.uuid4().hex[:6]}"
    host, host_token = make_user(f"{prefix}_host")
    cohost, cohost_token = make_user(f"{prefix}_co")
    listeners = [make_user(f"{prefix}_l{i}") for i in range(3)]
    auth = {"Authorization": f"Bearer {host_token}"}
    with private_redis(tmp_path / "redis") as rds:
        env = server_env(
            redis_url=rds.url,
            prefix=prefix,
            eager=False,
            ROOM_DISCONNECT_GRACE_SECONDS=str(GRACE),
            ROOM_HOST_GRACE_SECONDS=str(HOST_GRACE),
            DB_CONN_MAX_AGE="0",
        )
        with run_server(env, log_path=tmp_path / "server.log") as base, run_celery_worker(env):
            api = f"{base}/api/v1"
            room_id = httpx.post(f"{api}/rooms", json={"title": "drops"}, headers=auth, timeout=20).json()["id"]
            assert httpx.post(f"{api}/rooms/{room_id}/start", headers=auth, timeout=20).status_code == 200

            def detail() -> dict:
                response = httpx.get(f"{api}/rooms/{room_id}", headers=auth, timeout=20)
                assert response.status_code == 200, response.text
                return response.json()

            def roles(room: dict) -> dict[str, str]:
                return {p["user"]["username"]: p["role"] for p in room["participants"]}

            async def scenario() -> None:
                h = await connect(base, room_id, "host", host_token)
                c = await connect(base, room_id, "cohost", cohost_token)
                ls = [await connect(base, room_id, user.username, token) for user, token in listeners]
                promote = f"{api}/rooms/{room_id}/speakers/{cohost.username}"
                promoted = httpx.post(promote, json={"role": "cohost"}, headers=auth, timeout=20)
                assert promoted.status_code == 200, promoted.text
                room = detail()
                assert (room["listener_count"], room["speaker_count"]) == (3, 2)

                # Two listeners drop. They stay (disconnected) during the grace period ...
                dropped_at = time.monotonic()
                for client in ls[:2]:
                    client.drop()
                await asyncio.sleep(GRACE * 0.5)
                assert detail()["listener_count"] == 3
                # ... then leave, announced to the sockets that remain.
                for user, _ in listeners[:2]:
                    frame = await h.wait_for(left(user.pk), timeout=GRACE + 15)
                    assert frame["reason"] == "disconnected"
                    await ls[2].wait_for(left(user.pk))
                assert time.monotonic() - dropped_at >= GRACE
                room = detail()
                assert (room["listener_count"], room["speaker_count"]) == (1, 2)
                stayed = listeners[2][0].username
                assert roles(room) == {host.username: "host", cohost.username: "cohost", stayed: "listener"}

                # The host drops: after the host grace the co-host takes over, the room stays live.
                h.drop()
                await asyncio.sleep(HOST_GRACE * 0.5)
                assert detail()["host"]["id"] == host.pk
                frame = await c.wait_for(
                    lambda f: (
                        f["type"] == "participant_updated"
                        and f["participant"]["user"]["id"] == cohost.pk
                        and f["participant"]["role"] == "host"
                    ),
                    timeout=HOST_GRACE + 15,
                )
                assert frame["room_id"] == room_id
                await c.wait_for(left(host.pk))
                room = detail()
                assert room["state"] == "live" and room["host"]["id"] == cohost.pk
                assert roles(room) == {cohost.username: "host", stayed: "listener"}
                assert (room["listener_count"], room["speaker_count"]) == (1, 1)

                # The new host drops too, with no co-host left: the room ends for whoever remains.
                c.drop()
                await ls[2].wait_for(lambda f: f["type"] == "room_ended", timeout=HOST_GRACE + 15)
                await asyncio.wait_for(ls[2].reader, 10)  # then the server closes the socket
                assert ls[2].socket.close_code == 1000

            asyncio.run(scenario())
            room = Room.objects.get(pk=room_id)
            assert room.state == "ended" and room.ended_at is not None
            assert not Participant.objects.filter(room=room, left_at__isnull=True).exists()
