"""Two real daphne processes sharing PostgreSQL and Redis: an action through REST on the first
reaches a socket held by the second (channels-redis), opened with a real WebSocket client."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.server import next_notification, open_notification_socket, register, run_server, server_env

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def test_a_follow_on_one_process_reaches_a_socket_on_another():
    env = server_env()
    with run_server(env) as first, run_server(env) as second:
        alice = register(first, "xp_alice")
        bob = register(first, "xp_bob")

        async def scenario() -> dict:
            socket = await open_notification_socket(second, alice["access"])  # Alice's socket: on the SECOND process
            try:
                async with httpx.AsyncClient(base_url=first, timeout=30) as client:  # Bob: the FIRST
                    response = await client.post(
                        "/api/v1/users/xp_alice/follow", headers={"Authorization": f"Bearer {bob['access']}"}
                    )
                    assert response.status_code in (200, 201), response.text
                return await next_notification(socket)
            finally:
                await socket.close()

        item = asyncio.run(scenario())
        listed = httpx.get(
            f"{second}/api/v1/notifications", headers={"Authorization": f"Bearer {alice['access']}"}, timeout=30
        ).json()["results"]
    assert item["type"] == "follow"
    assert item["actor"]["username"] == "xp_bob"
    assert [n["id"] for n in listed] == [item["id"]]  # the pushed one is the stored one


def test_a_room_going_live_on_one_process_reaches_a_follower_on_another():
    from accounts.models import User
    from social.models import Follow

    env = server_env()
    with run_server(env) as first, run_server(env) as second:
        host = register(first, "xp_host")
        fan = register(second, "xp_fan")
        Follow.objects.create(
            follower=User.objects.get(username="xp_fan"), followee=User.objects.get(username="xp_host")
        )

        async def scenario() -> dict:
            socket = await open_notification_socket(second, fan["access"])
            try:
                async with httpx.AsyncClient(
                    base_url=first, headers={"Authorization": f"Bearer {host['access']}"}, timeout=30
                ) as client:
                    room = (await client.post("/api/v1/rooms", json={"title": "Across processes"})).json()
                    started = await client.post(f"/api/v1/rooms/{room['id']}/start")
                    assert started.status_code == 200, started.text
                return await next_notification(socket)
            finally:
                await socket.close()

        item = asyncio.run(scenario())
    assert item["type"] == "room_live"
    assert item["actor"]["username"] == "xp_host"
    assert item["room"]["title"] == "Across processes"
