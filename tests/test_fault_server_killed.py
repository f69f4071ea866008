"""A crash leaves no ghost: a daphne process holding room sockets is killed with SIGKILL (no
``disconnect()``, no close frames, its connection rows left behind). Its sockets' participants
must leave within the grace period, counted from their server's last heartbeat, and the room's
rules apply: the host's co-host, connected to the surviving daphne, takes over; a room whose host
had no co-host ends.

Real processes: two daphne servers (the victim and the survivor), a Celery worker with beat
running the presence sweep (``CELERY_TASK_ALWAYS_EAGER=false``), a private redis-server as broker
and channel layer, the pytest PostgreSQL test database. Heartbeat, staleness, sweep and grace
periods are shortened to seconds.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import time
import uuid

import httpx
import pytest

from rooms.models import Participant, Room
from tests.server import make_user, run_celery_worker, run_server, run_server_process, server_env
from tests.services import private_redis
from tests.test_fault_sockets import connect, left

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
    pytest.mark.timeout(120),
]

HEARTBEAT = 0.3
STALE = 1.0
SWEEP = 0.5
GRACE = 2.0
HOST_GRACE = 3.0
# Time for the sweep to notice, the worker to act and the event to travel, on a busy machine.
SLACK = STALE + 2 * SWEEP + 3.0


def test_participants_of_a_killed_server_leave_within_the_grace_and_the_room_rules_apply(tmp_path):
    prefix = f"kl{uuid.uuid4().hex[:6]}"
    host, host_token = make_user(f"{prefix}_host")
    cohost, cohost_token = make_user(f"{prefix}_co")
    listener, listener_token = make_user(f"{prefix}_l")
    observer, observer_token = make_user(f"{prefix}_o")
    _, lone_host_token = make_user(f"{prefix}_lone")
    with private_redis(tmp_path / "redis") as rds:
        env = server_env(
            redis_url=rds.url,
            prefix=prefix,
            eager=False,
            ROOM_DISCONNECT_GRACE_SECONDS=str(GRACE),
            ROOM_HOST_GRACE_SECONDS=str(HOST_GRACE),
            ROOM_HEARTBEAT_SECONDS=str(HEARTBEAT),
            ROOM_CONNECTION_STALE_SECONDS=str(STALE),
            ROOM_PRESENCE_SWEEP_SECONDS=str(SWEEP),
            DB_CONN_MAX_AGE="0",
        )
        with (
            run_celery_worker(env, beat_schedule=tmp_path / "beat", log_path=tmp_path / "worker.log"),
            run_server_process(env, log_path=tmp_path / "victim.log") as victim_server,
            run_server(env, log_path=tmp_path / "survivor.log") as survivor,
        ):
            victim, doomed = victim_server.process, victim_server.url
            api = f"{survivor}/api/v1"

            def post(path: str, token: str, **body) -> dict:
                response = httpx.post(f"{api}{path}", json=body, headers={"Authorization": f"Bearer {token}"})
                assert response.status_code in (200, 201), response.text
                return response.json()

            room_id = post("/rooms", host_token, title="handover")["id"]
            post(f"/rooms/{room_id}/start", host_token)
            lone_id = post("/rooms", lone_host_token, title="ends")["id"]
            post(f"/rooms/{lone_id}/start", lone_host_token)

            async def scenario() -> None:
                # On the server that will die: the host, a listener, and the lone host.
                await connect(doomed, room_id, "host", host_token)
                await connect(doomed, room_id, "listener", listener_token)
                await connect(doomed, lone_id, "lone host", lone_host_token)
                # On the survivor: the co-host and observers.
                c = await connect(survivor, room_id, "cohost", cohost_token)
                o = await connect(survivor, room_id, "observer", observer_token)
                o2 = await connect(survivor, lone_id, "observer", observer_token)
                post(f"/rooms/{room_id}/speakers/{cohost.username}", host_token, role="cohost")
                await o.wait_for(lambda f: f["type"] == "participant_updated" and f["participant"]["role"] == "cohost")
                await asyncio.sleep(2 * HEARTBEAT)  # every socket has had a heartbeat

                victim.send_signal(signal.SIGKILL)
                victim.wait(10)
                killed_at = time.monotonic()

                # The listener leaves after the grace period (from the last heartbeat: at most
                # one heartbeat interval before the kill), not before and not much after.
                frame = await o.wait_for(left(listener.pk), timeout=GRACE + SLACK)
                assert frame["reason"] == "disconnected"
                assert time.monotonic() - killed_at >= GRACE - HEARTBEAT
                # The host leaves after the host grace; the co-host takes over.
                await o.wait_for(left(host.pk), timeout=HOST_GRACE + SLACK)
                assert time.monotonic() - killed_at >= HOST_GRACE - HEARTBEAT
                assert time.monotonic() - killed_at <= HOST_GRACE + SLACK
                promoted = await c.wait_for(
                    lambda f: (
                        f["type"] == "participant_updated"
                        and f["participant"]["user"]["id"] == cohost.pk
                        and f["participant"]["role"] == "host"
                    )
                )
                assert promoted["room_id"] == room_id
                # The lone host had no co-host: the room ended for the observer.
                await o2.wait_for(lambda f: f["type"] == "room_ended", timeout=SLACK)
                await asyncio.wait_for(o2.reader, 10)
                assert o2.socket.close_code == 1000
                for client in (c, o):
                    await client.socket.close()

            asyncio.run(scenario())
            detail = httpx.get(f"{api}/rooms/{room_id}", headers={"Authorization": f"Bearer {cohost_token}"})
            room = detail.json()
            assert room["state"] == "live" and room["host"]["id"] == cohost.pk
            assert {p["user"]["id"]: p["role"] for p in room["participants"]} == {
                cohost.pk: "host",
                observer.pk: "listener",
            }
            assert (room["listener_count"], room["speaker_count"]) == (1, 1)
    assert Room.objects.get(pk=lone_id).state == "ended"
    assert not Participant.objects.filter(room_id=lone_id, left_at__isnull=True).exists()
    # No connection row of the killed server survives.
    assert not Room.objects.get(pk=room_id).participants.filter(user__in=[host, listener], left_at=None).exists()
