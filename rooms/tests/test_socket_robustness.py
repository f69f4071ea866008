"""What no client can do to a room or notification socket: flood it, crash it, or leave a ghost
behind. Through the real ASGI application (``WebsocketCommunicator``)."""

import asyncio
import json
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from accounts.services import tokens_for
from rooms import consumers, heartbeat, services
from rooms.models import Participant, RoomConnection, RoomState
from rooms.tests.test_consumers import db, open_peer
from twitterclone.asgi import application
from twitterclone.ws import CLOSE_RATE_LIMITED

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_layer_and_no_leftover_connections"),
]


# --- the frame rate limit ---------------------------------------------------------------------


async def test_a_flooding_room_socket_gets_rate_limited_then_closed_with_4429(room, host, listeners, settings):
    settings.WEBSOCKET_FRAME_BURST = 10
    settings.WEBSOCKET_FRAME_RATE_PER_SECOND = 1
    settings.WEBSOCKET_FLOOD_CLOSE_AFTER = 5
    flooder = await open_peer(host, room.pk)
    target = await open_peer(listeners[0], room.pk)
    for i in range(40):
        await flooder.send(type="ice_candidate", to=listeners[0].pk, candidate={"candidate": str(i)})
    frames, code = [], None
    while code is None:
        output = await flooder.ws.receive_output(5)
        if output["type"] == "websocket.close":
            code = output["code"]
        else:
            frames.append(json.loads(output["text"]))
    assert code == CLOSE_RATE_LIMITED
    # Refused frames were answered with rate_limited (as far as the consumer got before the close,
    # which overtakes them); no more than the burst was relayed.
    assert {f["code"] for f in frames if f["type"] == "error"} <= {"rate_limited"}
    relayed = [f["candidate"]["candidate"] for f in await target.drain() if f["type"] == "ice_candidate"]
    assert relayed == [str(i) for i in range(len(relayed))] and len(relayed) <= 10
    await flooder.ws.disconnect()
    await target.ws.disconnect()


async def test_the_bucket_refills_at_the_steady_rate(room, host, settings):
    settings.WEBSOCKET_FRAME_BURST = 3
    settings.WEBSOCKET_FRAME_RATE_PER_SECOND = 10
    peer = await open_peer(host, room.pk)
    for _ in range(4):
        await peer.send(type="ping")
    answers = [await peer.recv() for _ in range(4)]
    assert [a["type"] for a in answers] == ["pong", "pong", "pong", "error"]
    assert answers[3]["code"] == "rate_limited"  # and the socket stays open
    await asyncio.sleep(0.25)  # 2.5 frames' worth
    for _ in range(2):
        await peer.send(type="ping")
    assert [(await peer.recv())["type"] for _ in range(2)] == ["pong", "pong"]
    await peer.ws.disconnect()


async def test_the_notification_socket_has_the_same_limit(user, settings):
    settings.WEBSOCKET_FRAME_BURST = 2
    settings.WEBSOCKET_FRAME_RATE_PER_SECOND = 0.001
    settings.WEBSOCKET_FLOOD_CLOSE_AFTER = 10
    access = await db(lambda: tokens_for(user)["access"])
    communicator = WebsocketCommunicator(application, f"/ws/notifications/?token={access}")
    assert (await communicator.connect())[0]
    for _ in range(6):
        await communicator.send_json_to({"type": "ping"})
    answers = [(await communicator.receive_json_from()) for _ in range(6)]
    assert [a.get("code", a["type"]) for a in answers] == ["pong", "pong"] + ["rate_limited"] * 4
    for _ in range(20):
        await communicator.send_json_to({"type": "ping"})
    while (output := await communicator.receive_output())["type"] != "websocket.close":
        assert json.loads(output["text"])["code"] == "rate_limited"
    assert output["code"] == CLOSE_RATE_LIMITED


# --- malformed frames and crashes -------------------------------------------------------------


@pytest.mark.parametrize(
    "to",
    ["\u00b2", "\u0663", "1\u00b2", "9" * 20, 2**63, -1, 0, 1.5, None, [1], {"id": 1}, "", " 1"],
)
async def test_hostile_recipient_ids_get_an_error_and_the_socket_stays_open(room, host, to):
    peer = await open_peer(host, room.pk)
    await peer.ws.send_to(text_data=json.dumps({"type": "offer", "to": to, "sdp": "v=0"}))
    error = await peer.recv_type("error")
    assert error["code"] == "invalid" and "'to'" in error["message"]
    await peer.send(type="ping")
    assert await peer.recv_type("pong") == {"type": "pong"}
    assert await db(RoomConnection.objects.filter(participant__room=room).count) == 1
    await peer.ws.disconnect()


async def test_deeply_nested_json_is_malformed_not_a_crash(room, host):
    peer = await open_peer(host, room.pk)
    await peer.ws.send_to(text_data="[" * 30_000 + "]" * 30_000)
    assert (await peer.recv_type("error"))["code"] == "malformed"
    await peer.send(type="ping")
    assert await peer.recv_type("pong") == {"type": "pong"}
    await peer.ws.disconnect()


async def test_an_unexpected_exception_in_a_handler_is_answered_and_the_socket_stays_open(
    room, host, listeners, monkeypatch, caplog
):
    peer = await open_peer(host, room.pk)
    other = await open_peer(listeners[0], room.pk)

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(consumers.selectors, "signal_refusal", broken)
    await peer.send(type="offer", to=listeners[0].pk, sdp="v=0")
    error = await peer.recv_type("error")
    assert error["code"] == "internal_error" and "boom" not in error["message"]
    assert any(record.exc_info and "boom" in str(record.exc_info[1]) for record in caplog.records)
    monkeypatch.undo()
    await peer.send(type="offer", to=listeners[0].pk, sdp="v=0")
    assert (await other.recv_type("offer"))["from"] == host.pk
    await other.ws.disconnect()
    await peer.ws.disconnect()


async def test_a_consumer_that_dies_without_a_disconnect_still_cleans_up(room, host, listeners, settings):
    settings.ROOM_DISCONNECT_GRACE_SECONDS = 0.3
    host_peer = await open_peer(host, room.pk)
    peer = await open_peer(listeners[0], room.pk)
    await host_peer.recv_type("participant_joined")
    # The application task is cancelled under the consumer (what a server does to an app that
    # does not finish): no websocket.disconnect reaches it.
    peer.ws.future.cancel()
    left = await host_peer.recv_type("participant_left")
    assert (left["participant"]["user"]["id"], left["reason"]) == (listeners[0].pk, "disconnected")
    assert not await db(RoomConnection.objects.filter(participant__user=listeners[0]).exists)
    await host_peer.ws.disconnect()


# --- presence: heartbeat and stale connections --------------------------------------------------


async def test_the_heartbeat_keeps_open_sockets_fresh(room, host, settings):
    settings.ROOM_HEARTBEAT_SECONDS = 0.1
    peer = await open_peer(host, room.pk)
    old = timezone.now() - timedelta(hours=1)
    await db(RoomConnection.objects.update, seen_at=old)
    await asyncio.sleep(0.4)
    assert await db(lambda: RoomConnection.objects.get().seen_at) > old + timedelta(minutes=59)
    await peer.ws.disconnect()
    await asyncio.sleep(0.2)
    assert not heartbeat._for_this_loop().consumers  # stopped with the last socket


async def test_a_socket_whose_connection_row_was_swept_is_closed(room, host, settings):
    settings.ROOM_HEARTBEAT_SECONDS = 0.1
    peer = await open_peer(host, room.pk)
    await db(RoomConnection.objects.all().delete)
    assert await peer.closed_with() == 1000


async def test_connections_of_a_dead_server_are_swept_and_the_participant_leaves(room, host, listeners, settings):
    """A server killed with SIGKILL leaves its rows behind, never refreshed again: the sweep
    removes them once stale and the grace period counts from their last heartbeat."""
    settings.ROOM_CONNECTION_STALE_SECONDS = 10
    settings.ROOM_DISCONNECT_GRACE_SECONDS = 30
    listener = listeners[0]
    await db(services.participant_connect, room_id=room.pk, user=listener, channel_name="dead-server!1")
    await db(services.participant_connect, room_id=room.pk, user=host, channel_name="dead-server!2")
    # Fresh rows: nobody is swept.
    assert await db(services.presence_sweep) == 0
    # Last seen 20 s ago: stale, but the listener's grace (30 s) is still running.
    await db(RoomConnection.objects.update, seen_at=timezone.now() - timedelta(seconds=20))
    assert await db(services.presence_sweep) == 0
    assert not await db(RoomConnection.objects.exists)
    participant = await db(Participant.objects.get, room=room, user=listener)
    assert participant.left_at is None
    assert (timezone.now() - participant.disconnected_at).total_seconds() >= 20
    # 31 s after the last heartbeat the listener has left; the host (120 s) has not.
    await db(Participant.objects.filter(room=room).update, disconnected_at=timezone.now() - timedelta(seconds=31))
    assert await db(services.presence_sweep) == 1
    assert await db(lambda: Participant.objects.get(room=room, user=listener).left_at) is not None
    assert await db(lambda: Participant.objects.get(room=room, user=host).left_at) is None
    # And the host too, after the host grace: no co-host, so the room ends.
    await db(Participant.objects.filter(room=room).update, disconnected_at=timezone.now() - timedelta(seconds=121))
    await db(services.presence_sweep)
    assert await db(lambda: type(room).objects.get(pk=room.pk).state) == RoomState.ENDED


async def test_a_live_second_socket_keeps_a_participant_with_a_stale_one(room, host, settings):
    settings.ROOM_CONNECTION_STALE_SECONDS = 10
    settings.ROOM_HOST_GRACE_SECONDS = 0
    peer = await open_peer(host, room.pk)
    await db(services.participant_connect, room_id=room.pk, user=host, channel_name="dead-server!3")
    await db(
        RoomConnection.objects.filter(channel_name="dead-server!3").update,
        seen_at=timezone.now() - timedelta(seconds=60),
    )
    assert await db(services.presence_sweep) == 0
    names = await db(lambda: list(RoomConnection.objects.values_list("channel_name", flat=True)))
    assert len(names) == 1 and names[0] != "dead-server!3"
    assert await db(lambda: type(room).objects.get(pk=room.pk).state) == RoomState.LIVE
    await peer.ws.disconnect()
