"""The room socket: authentication paths, room_state and events, relay isolation, grace periods,
room end. Through the real ASGI application (JWT middleware, Origin validator, routing)."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from accounts.services import tokens_for
from rooms import services
from rooms.models import Participant, Role, Room, RoomConnection, RoomState
from rooms.tests.factories import ParticipantFactory, RoomFactory
from social.models import Block
from twitterclone.asgi import application
from twitterclone.broadcast import user_group_name

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_layer_and_no_leftover_connections"),
]

TIMEOUT = 5


class Peer:
    """One room socket of one user."""

    def __init__(self, user, room_id, communicator):
        self.user = user
        self.room_id = room_id
        self.ws = communicator

    async def recv(self, timeout=TIMEOUT):
        return await self.ws.receive_json_from(timeout=timeout)

    async def recv_type(self, message_type, timeout=TIMEOUT):
        """The next frame of this type, skipping others (e.g. events about oneself)."""
        while True:
            frame = await self.recv(timeout)
            if frame["type"] == message_type:
                return frame

    async def send(self, **message):
        await self.ws.send_json_to(message)

    async def drain(self):
        """Reads and returns every frame that arrives within a short while."""
        frames = []
        while not await self.ws.receive_nothing(timeout=0.3):
            frames.append(await self.recv())
        return frames

    async def nothing(self, timeout=0.3):
        return await self.ws.receive_nothing(timeout=timeout)

    async def closed_with(self, timeout=TIMEOUT):
        while True:
            output = await self.ws.receive_output(timeout)
            if output["type"] == "websocket.close":
                return output.get("code")


def socket(room_id, token=None, subprotocols=None):
    path = f"/ws/rooms/{room_id}/"
    if token is not None:
        path += f"?token={token}"
    return WebsocketCommunicator(application, path, subprotocols=subprotocols)


async def open_peer(user, room_id) -> Peer:
    token = await database_sync_to_async(lambda: tokens_for(user)["access"])()
    communicator = socket(room_id, token)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    peer = Peer(user, room_id, communicator)
    state = await peer.recv()
    assert state["type"] == "room_state", state
    peer.state = state
    return peer


async def refused_with(room_id, token=None, subprotocols=None):
    communicator = socket(room_id, token, subprotocols)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected  # accepted first, so the client sees the close code
    frames, code = [], None
    while code is None:
        output = await communicator.receive_output(TIMEOUT)
        if output["type"] == "websocket.close":
            code = output.get("code")
        else:
            frames.append(json.loads(output["text"]))
    return code, frames


@database_sync_to_async
def db(fn, *args, **kwargs):
    return fn(*args, **kwargs)


# --- authentication and admission ---------------------------------------------------------------


async def test_without_or_with_a_bad_token_closes_4401(room):
    assert (await refused_with(room.pk))[0] == 4401
    assert (await refused_with(room.pk, token="not-a-jwt"))[0] == 4401
    assert not await db(lambda: Participant.objects.filter(room=room).exclude(user=room.host).exists())


async def test_unknown_or_ended_room_closes_4404(user):
    token = await db(lambda: tokens_for(user)["access"])
    code, frames = await refused_with(999999, token)
    assert code == 4404
    ended = await db(RoomFactory, state=RoomState.ENDED)
    code, frames = await refused_with(ended.pk, token)
    assert code == 4404
    assert frames[0]["type"] == "error"


async def test_blocked_user_closes_4403(room, host, user):
    await db(Block.objects.create, blocker=host, blocked=user)
    token = await db(lambda: tokens_for(user)["access"])
    code, frames = await refused_with(room.pk, token)
    assert code == 4403
    assert frames == [{"type": "error", "code": "blocked", "message": "You cannot join this room."}]
    assert not await db(lambda: Participant.objects.filter(user=user).exists())


async def test_full_room_closes_4403(room, user, settings):
    settings.ROOM_MAX_LISTENERS = 1
    await db(ParticipantFactory, room=room)
    token = await db(lambda: tokens_for(user)["access"])
    code, frames = await refused_with(room.pk, token)
    assert code == 4403
    assert frames[0]["code"] == "room_full"


async def test_room_not_live_yet_closes_4403(user):
    scheduled = await db(RoomFactory)
    token = await db(lambda: tokens_for(user)["access"])
    code, frames = await refused_with(scheduled.pk, token)
    assert code == 4403
    assert frames[0]["code"] == "room_not_live"


async def test_bearer_subprotocol_authenticates_and_is_echoed(room, user):
    token = await db(lambda: tokens_for(user)["access"])
    communicator = socket(room.pk, subprotocols=["bearer", token])
    connected, subprotocol = await communicator.connect(timeout=TIMEOUT)
    assert connected
    assert subprotocol == "bearer"
    assert (await communicator.receive_json_from(TIMEOUT))["type"] == "room_state"
    await communicator.disconnect()


# --- state and events ------------------------------------------------------------------------------


async def test_connect_joins_and_sends_room_state_and_others_see_the_join(room, host, user):
    host_peer = await open_peer(host, room.pk)
    peer = await open_peer(user, room.pk)
    assert peer.state["you"]["role"] == "listener"
    assert peer.state["you"]["user"]["id"] == user.pk
    assert [p["user"]["id"] for p in peer.state["room"]["participants"]] == [host.pk, user.pk]
    assert peer.state["room"]["state"] == "live"
    joined = await host_peer.recv_type("participant_joined")
    assert joined["participant"]["user"]["id"] == user.pk
    assert joined["room_id"] == room.pk
    assert await db(lambda: RoomConnection.objects.filter(participant__user=user).count()) == 1
    await peer.ws.disconnect()
    await host_peer.ws.disconnect()


async def test_rest_changes_reach_every_socket(room, host, user):
    host_peer = await open_peer(host, room.pk)
    peer = await open_peer(user, room.pk)
    await host_peer.recv_type("participant_joined")
    await db(services.speaker_add, room=room, by_user=host, target_user=user)
    for each in (host_peer, peer):
        updated = await each.recv_type("participant_updated")
        assert (updated["participant"]["user"]["id"], updated["participant"]["role"]) == (user.pk, "speaker")
    await db(services.participant_mute, room=room, by_user=host, target_user=user)
    muted = await host_peer.recv_type("participant_updated")
    assert muted["participant"]["muted_by_host"] is True
    await peer.ws.disconnect()
    await host_peer.ws.disconnect()


async def test_socket_state_messages_follow_the_rest_rules(room, host, user):
    host_peer = await open_peer(host, room.pk)
    peer = await open_peer(user, room.pk)
    await peer.send(type="raise_hand")
    raised = await host_peer.recv_type("participant_updated")
    assert (raised["participant"]["user"]["id"], raised["participant"]["hand_raised"]) == (user.pk, True)
    await peer.send(type="unmute")
    error = await peer.recv_type("error")
    assert error["code"] == "not_speaker"
    assert await db(lambda: Participant.objects.get(room=room, user=user).muted)
    await peer.ws.disconnect()
    await host_peer.ws.disconnect()


async def test_leaving_over_rest_closes_the_room_socket(room, host, user):
    host_peer = await open_peer(host, room.pk)
    peer = await open_peer(user, room.pk)
    await db(services.participant_leave, room=room, user=user)
    left = await host_peer.recv_type("participant_left")
    assert (left["participant"]["user"]["id"], left["reason"]) == (user.pk, "left")
    assert await peer.closed_with() == 1000
    await host_peer.ws.disconnect()


# --- signalling --------------------------------------------------------------------------------------


async def test_offer_reaches_only_its_addressee_with_a_server_set_from(room, host, listeners):
    host_peer = await open_peer(host, room.pk)
    first = await open_peer(listeners[0], room.pk)
    second = await open_peer(listeners[1], room.pk)
    for peer in (host_peer, first, second):
        await peer.drain()

    await host_peer.send(type="offer", to=listeners[0].pk, sdp="v=0 offer", **{"from": 424242, "extra": "x"})
    offer = await first.recv_type("offer")
    assert offer == {"type": "offer", "from": host.pk, "to": listeners[0].pk, "sdp": "v=0 offer"}
    assert await second.nothing()
    assert await host_peer.nothing()

    await first.send(type="answer", to=str(host.pk), sdp="v=0 answer")
    answer = await host_peer.recv_type("answer")
    assert answer == {"type": "answer", "from": listeners[0].pk, "to": host.pk, "sdp": "v=0 answer"}
    candidate = {"candidate": "candidate:1 1 UDP 1 127.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
    await first.send(type="ice_candidate", to=host.pk, candidate=candidate)
    relayed = await host_peer.recv_type("ice_candidate")
    assert (relayed["from"], relayed["candidate"]) == (listeners[0].pk, candidate)
    await host_peer.send(type="ice_candidate", to=listeners[0].pk, candidate=None)  # end of candidates
    assert (await first.recv_type("ice_candidate"))["candidate"] is None
    assert await second.nothing()
    for peer in (host_peer, first, second):
        await peer.ws.disconnect()


async def test_listener_cannot_send_offers(room, host, user):
    host_peer = await open_peer(host, room.pk)
    peer = await open_peer(user, room.pk)
    await host_peer.recv_type("participant_joined")
    await peer.send(type="offer", to=host.pk, sdp="v=0")
    error = await peer.recv_type("error")
    assert error["code"] == "forbidden"
    assert await host_peer.nothing()
    # Promoted (which the socket learns from participant_updated), the same user may.
    await db(services.speaker_add, room=room, by_user=host, target_user=user)
    await peer.recv_type("participant_updated")
    await peer.send(type="offer", to=host.pk, sdp="v=0")
    assert (await host_peer.recv_type("offer"))["from"] == user.pk
    await peer.ws.disconnect()
    await host_peer.ws.disconnect()


async def test_the_relay_follows_roles_and_presence_from_the_room_events(room, host, user, other_user):
    host_peer = await open_peer(host, room.pk)
    peer = await open_peer(user, room.pk)
    await host_peer.recv_type("participant_joined")
    # Promoted, then demoted again: each change reaches the socket as participant_updated.
    await db(services.speaker_add, room=room, by_user=host, target_user=user)
    await peer.recv_type("participant_updated")
    await peer.send(type="offer", to=host.pk, sdp="v=0")
    assert (await host_peer.recv_type("offer"))["from"] == user.pk
    await db(services.speaker_remove, room=room, by_user=host, target_user=user)
    await peer.recv_type("participant_updated")
    await peer.send(type="offer", to=host.pk, sdp="v=0")
    assert (await peer.recv_type("error"))["code"] == "forbidden"
    # Nobody can address someone who is not in the room, nor someone who left it.
    await host_peer.send(type="offer", to=other_user.pk, sdp="v=0")
    assert (await host_peer.recv_type("error"))["code"] == "unknown_recipient"
    await db(services.participant_leave, room=room, user=user)
    await host_peer.recv_type("participant_left")
    assert await peer.closed_with() == 1000
    await host_peer.send(type="offer", to=user.pk, sdp="v=0")
    assert (await host_peer.recv_type("error"))["code"] == "unknown_recipient"
    await host_peer.ws.disconnect()


async def test_relayed_frames_read_no_database(room, host, user, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    host_peer = await open_peer(host, room.pk)
    peer = await open_peer(user, room.pk)
    await host_peer.recv_type("participant_joined")
    queries = []  # from any thread
    execute = CursorWrapper.execute
    monkeypatch.setattr(
        CursorWrapper, "execute", lambda self, sql, *a, **kw: queries.append(sql) or execute(self, sql, *a, **kw)
    )
    for i in range(20):
        await host_peer.send(type="offer", to=user.pk, sdp=f"v=0 {i}")
        await peer.send(type="ice_candidate", to=host.pk, candidate={"candidate": f"c{i}"})
    for i in range(20):
        assert (await peer.recv_type("offer"))["sdp"] == f"v=0 {i}"
        assert (await host_peer.recv_type("ice_candidate"))["candidate"] == {"candidate": f"c{i}"}
    assert queries == []
    monkeypatch.undo()
    await peer.ws.disconnect()
    await host_peer.ws.disconnect()


async def test_malformed_messages_get_error_frames_and_the_socket_stays_open(room, host, settings):
    peer = await open_peer(host, room.pk)
    bad = [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"no": "type"}),
        json.dumps({"type": "dance"}),
        json.dumps({"type": "offer", "sdp": "v=0"}),
        json.dumps({"type": "offer", "to": "abc", "sdp": "v=0"}),
        json.dumps({"type": "offer", "to": True, "sdp": "v=0"}),
        json.dumps({"type": "offer", "to": 5, "sdp": 7}),
        json.dumps({"type": "answer", "to": 5, "sdp": "  "}),
        json.dumps({"type": "ice_candidate", "to": 5, "candidate": "string"}),
        json.dumps({"type": "offer", "to": host.pk, "sdp": "v=0"}),  # to oneself
        json.dumps({"type": "offer", "to": 5, "sdp": "x" * (settings.WEBSOCKET_MAX_FRAME_BYTES + 1)}),
    ]
    codes = []
    for frame in bad:
        await peer.ws.send_to(text_data=frame)
        codes.append((await peer.recv_type("error"))["code"])
    assert codes == [
        "malformed",
        "malformed",
        "malformed",
        "unknown_type",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "frame_too_large",
    ]
    await peer.send(type="ping")
    assert await peer.recv_type("pong") == {"type": "pong"}
    await peer.ws.disconnect()


async def test_events_for_the_user_group_that_are_not_ours_are_ignored(room, host):
    peer = await open_peer(host, room.pk)
    await get_channel_layer().group_send(user_group_name(host.pk), {"type": "notification.push", "notification": {}})
    await peer.send(type="ping")
    assert await peer.recv_type("pong") == {"type": "pong"}
    await peer.ws.disconnect()


async def test_session_revoked_closes_with_4001(room, host):
    peer = await open_peer(host, room.pk)
    await get_channel_layer().group_send(user_group_name(host.pk), {"type": "session.revoked"})
    assert await peer.closed_with() == 4001


# --- grace periods and the end ------------------------------------------------------------------------


async def test_disconnected_listener_leaves_after_the_grace_period(room, host, user, settings):
    settings.ROOM_DISCONNECT_GRACE_SECONDS = 0.3
    host_peer = await open_peer(host, room.pk)
    peer = await open_peer(user, room.pk)
    await host_peer.recv_type("participant_joined")
    await peer.ws.disconnect()
    assert await db(lambda: Participant.objects.get(room=room, user=user).left_at) is None  # not at once
    left = await host_peer.recv_type("participant_left")
    assert (left["participant"]["user"]["id"], left["reason"]) == (user.pk, "disconnected")
    assert await db(lambda: Participant.objects.get(room=room, user=user).left_at) is not None
    await host_peer.ws.disconnect()


async def test_reconnecting_within_the_grace_period_keeps_the_participant(room, host, user, settings):
    settings.ROOM_DISCONNECT_GRACE_SECONDS = 0.5
    host_peer = await open_peer(host, room.pk)
    peer = await open_peer(user, room.pk)
    await db(services.speaker_add, room=room, by_user=host, target_user=user)
    await peer.ws.disconnect()
    again = await open_peer(user, room.pk)
    assert again.state["you"]["role"] == "speaker"
    await asyncio.sleep(0.8)
    participant = await db(Participant.objects.get, room=room, user=user)
    assert participant.left_at is None
    assert participant.role == Role.SPEAKER
    assert "participant_left" not in [f["type"] for f in await host_peer.drain()]
    await again.ws.disconnect()
    await host_peer.ws.disconnect()


async def test_a_second_socket_keeps_the_participant_present(room, host, settings):
    settings.ROOM_HOST_GRACE_SECONDS = 0.2
    first = await open_peer(host, room.pk)
    second = await open_peer(host, room.pk)
    await first.ws.disconnect()
    await asyncio.sleep(0.5)
    assert await db(lambda: Room.objects.get(pk=room.pk).state) == RoomState.LIVE
    await second.ws.disconnect()


async def test_room_without_a_host_socket_ends_after_the_host_grace(room, host, user, settings):
    settings.ROOM_HOST_GRACE_SECONDS = 0.3
    settings.ROOM_DISCONNECT_GRACE_SECONDS = 60
    host_peer = await open_peer(host, room.pk)
    peer = await open_peer(user, room.pk)
    await host_peer.ws.disconnect()
    ended = await peer.recv_type("room_ended")
    assert ended == {"type": "room_ended", "room_id": room.pk}
    assert await peer.closed_with() == 1000
    assert await db(lambda: Room.objects.get(pk=room.pk).state) == RoomState.ENDED


async def test_room_end_sends_room_ended_to_every_socket_and_closes_them(room, host, listeners):
    peers = [await open_peer(host, room.pk)] + [await open_peer(u, room.pk) for u in listeners]
    peers.append(await open_peer(listeners[0], room.pk))  # a second device
    await db(services.room_end, room=room, by_user=host)
    for peer in peers:
        assert await peer.recv_type("room_ended") == {"type": "room_ended", "room_id": room.pk}
        assert await peer.closed_with() == 1000
    assert not await db(lambda: RoomConnection.objects.exists())
    assert not await db(lambda: Participant.objects.filter(room=room, left_at__isnull=True).exists())
