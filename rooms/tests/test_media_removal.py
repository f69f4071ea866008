"""Removal is final, against a real Janus with aiortc peers (docs/rooms.md, "Removal is final"):
a listener the host removes (blocks) cannot watch the room again with anything they held (their
token, still valid for an hour, and the mountpoint's pin), at once, not at the next media check;
the others keep receiving; a new listener joins with the new pin. Someone who had left before
the block is locked out too; a blocked speaker cannot rejoin the stage. The check gives a
mountpoint that missed its new pin the stored one, and cuts off a viewer who ``switch``-ed to
another room's mountpoint (Janus 1.1.2 does not check the pin there)."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("aiortc", reason="aiortc is in requirements-dev.txt")

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections

from accounts.services import tokens_for
from accounts.tests.factories import UserFactory
from deploy.janus_config import free_port
from rooms import services
from rooms.media import service as media
from rooms.media.backend import mountpoint_secret
from rooms.media.janus import STREAMING
from rooms.models import Room
from rooms.tests.factories import live_room
from rooms.tests.peer_loop import closed, media_of, open_peer
from tests.janus_server import janus_client, janus_settings
from tests.media_peers import AudioBridgePeer, JanusPeerError, StreamingListener
from twitterclone.asgi import application

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WRONG_PIN = r"^457: "  # janus_streaming.c: JANUS_STREAMING_ERROR_UNAUTHORIZED
NOT_ALLOWED = r"^489: "  # janus_audiobridge.c: JANUS_AUDIOBRIDGE_ERROR_UNAUTHORIZED (not in allowed)


@pytest.fixture
def on_janus(settings, janus_server):
    janus_settings(settings, janus_server)
    return janus_server


def janus_pin(janus, room_id: int) -> str | None:
    with janus_client(janus) as client, client.handle(STREAMING) as streaming:
        return (streaming.streaming_info(mountpoint=room_id, secret=mountpoint_secret(room_id)) or {}).get("pin")


def stored_pin(room) -> str:
    return Room.objects.get(pk=room.pk).media_pin


def block(auth_client, host, user) -> None:
    response = auth_client(host).post(f"/api/v1/users/{user.username}/block")
    assert response.status_code in (200, 201, 204), response.content


def comeback(loop, opened, peer: StreamingListener) -> StreamingListener:
    """A new watch with everything ``peer`` held: its token, mountpoint and pin."""
    again = StreamingListener(url=peer.janus.url, token=peer.janus.token, mountpoint=peer.mountpoint, pin=peer.pin)
    opened.append(again)
    return again


def test_a_removed_listener_cannot_watch_again_and_the_others_keep_listening(on_janus, auth_client, peers):
    loop, opened = peers
    room = live_room()
    kept_user, removed_user, early_user, speaker_user = (UserFactory() for _ in range(4))
    for user in (kept_user, removed_user, early_user, speaker_user):
        services.participant_join(room=room, user=user)
    first_pin = stored_pin(room)
    assert len(first_pin) == 32 and janus_pin(on_janus, room.pk) == first_pin

    host_peer = open_peer(loop, opened, media_of(auth_client, room, room.host))  # a 440 Hz tone
    kept, removed = (open_peer(loop, opened, media_of(auth_client, room, user)) for user in (kept_user, removed_user))
    assert removed.pin == first_pin
    started = time.monotonic()
    for peer in (kept, removed):
        assert loop.run(peer.meter.wait_heard(since=started, timeout=20)), "a listener heard nothing"
    block(auth_client, room.host, removed_user)
    blocked_at = time.monotonic()
    second_pin = stored_pin(room)
    assert second_pin not in ("", first_pin) and janus_pin(on_janus, room.pk) == second_pin
    assert loop.run(closed(removed)), "the removed listener's handle was not detached"
    # At once, no media check in between: everything they held is refused.
    with pytest.raises(JanusPeerError, match=WRONG_PIN):
        loop.run(comeback(loop, opened, removed).watch())
    # The others keep receiving on the connection they had.
    assert loop.run(kept.meter.wait_heard(since=blocked_at + 0.5, timeout=20)), "the kept listener lost the audio"
    assert kept.connected and not kept.janus.closed.is_set()
    # A new listener joins with the new pin and hears the room.
    newcomer_user = UserFactory()
    services.participant_join(room=room, user=newcomer_user)
    newcomer_media = media_of(auth_client, room, newcomer_user)
    assert newcomer_media["pin"] == second_pin
    newcomer = open_peer(loop, opened, newcomer_media)
    assert loop.run(newcomer.meter.wait_heard(since=time.monotonic(), timeout=20)), "the newcomer heard nothing"

    # Blocking someone who had already left locks them out too (they hold the pin of then).
    early_media = media_of(auth_client, room, early_user)
    assert early_media["pin"] == second_pin
    services.participant_leave(room=room, user=early_user)
    block(auth_client, room.host, early_user)
    assert stored_pin(room) not in (first_pin, second_pin) and janus_pin(on_janus, room.pk) == stored_pin(room)
    early = StreamingListener(
        url=early_media["url"], token=early_media["token"], mountpoint=room.pk, pin=early_media["pin"]
    )
    opened.append(early)
    with pytest.raises(JanusPeerError, match=WRONG_PIN):
        loop.run(early.watch())
    assert loop.run(newcomer.meter.wait_heard(since=time.monotonic(), timeout=20))

    # A speaker the host blocks cannot rejoin the stage with their token.
    services.speaker_add(room=room, by_user=room.host, target_user=speaker_user)
    speaker = open_peer(loop, opened, media_of(auth_client, room, speaker_user), frequency=660.0)
    block(auth_client, room.host, speaker_user)
    assert loop.run(closed(speaker)), "the blocked speaker's handle was not detached"
    stale = AudioBridgePeer(url=speaker.janus.url, token=speaker.janus.token, room=room.pk)
    opened.append(stale)
    with pytest.raises(JanusPeerError, match=NOT_ALLOWED):
        loop.run(stale.join())
    assert host_peer.connected
    services.room_end(room=room, by_user=room.host)


def test_the_check_gives_a_mountpoint_that_missed_its_new_pin_the_stored_one(settings, on_janus, auth_client):
    room = live_room()
    listener = UserFactory()
    services.participant_join(room=room, user=listener)
    old_pin = stored_pin(room)
    # Janus is unreachable when the host blocks someone: the block still succeeds, the room has
    # its new pin, Janus keeps the old one until the check.
    janus_url = settings.JANUS_URL
    settings.JANUS_URL = f"http://127.0.0.1:{free_port()}/janus"
    settings.JANUS_TIMEOUT_SECONDS = 1.0
    block(auth_client, room.host, listener)
    new_pin = stored_pin(room)
    assert new_pin != old_pin
    settings.JANUS_URL = janus_url
    assert janus_pin(on_janus, room.pk) == old_pin
    result = media.media_check()
    assert result["pins"] == [room.pk] and result["repaired"] == []
    assert janus_pin(on_janus, room.pk) == new_pin
    assert media.media_check()["pins"] == []  # nothing more to do
    # A Janus restart loses the mountpoint: the check recreates it with the stored pin.
    media.media_room_teardown(room_id=room.pk)
    assert media.media_check()["repaired"] == [room.pk]
    assert janus_pin(on_janus, room.pk) == new_pin
    services.room_end(room=room, by_user=room.host)


def test_the_check_cuts_off_who_left_and_watches_again_or_switched_to_another_room(on_janus, auth_client, peers):
    loop, opened = peers
    room_a, room_b = live_room(), live_room()
    leaver, switcher = UserFactory(), UserFactory()
    for user in (leaver, switcher):
        services.participant_join(room=room_a, user=user)
    leaver_media, switcher_media = (media_of(auth_client, room_a, user) for user in (leaver, switcher))
    # Leaving (unlike a removal) changes no pin: whoever left may join again at will. A watch
    # without being in the room is cut off by the check.
    services.participant_leave(room=room_a, user=leaver)
    again = open_peer(loop, opened, leaver_media)
    # Janus 1.1.2's "switch" moves a viewer to any mountpoint without asking for its pin.
    watcher = open_peer(loop, opened, switcher_media)
    answer = loop.run(watcher.janus.message({"request": "switch", "id": room_b.pk}))
    assert answer.get("janus") == "ack"
    assert loop.run(_switched(watcher)) == {"switched": "ok", "id": room_b.pk}
    detached = media.media_check()["detached"]
    assert (room_a.pk, leaver.pk, STREAMING) in detached
    assert (room_a.pk, switcher.pk, STREAMING) in detached
    assert loop.run(closed(again)) and loop.run(closed(watcher))
    # A viewer of its own room's mountpoint stays.
    stays = open_peer(loop, opened, media_of(auth_client, room_a, switcher))
    assert media.media_check()["detached"] == [] and not stays.janus.closed.is_set()
    for room in (room_a, room_b):
        services.room_end(room=room, by_user=room.host)


async def _switched(peer: StreamingListener) -> dict:
    """The ``result`` of the Streaming event that answers ``switch`` (earlier results skipped)."""
    while True:
        event = await peer.janus.next_event(10, want="result")
        result = event["plugindata"]["data"]["result"]
        if "switched" in result:
            return result


async def _recv_type(communicator, message_type: str, timeout: float = 10.0) -> dict:
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == message_type:
            return frame


async def test_a_removal_sends_the_listeners_their_new_pin_and_the_stage_nothing(on_janus):
    layer = get_channel_layer()
    await layer.flush()
    room = await database_sync_to_async(live_room)()
    listener, removed = await database_sync_to_async(lambda: (UserFactory(), UserFactory()))()
    sockets = []
    try:
        for user in (room.host, listener, removed):
            token = await database_sync_to_async(lambda user=user: tokens_for(user)["access"])()
            communicator = WebsocketCommunicator(application, f"/ws/rooms/{room.pk}/?token={token}")
            connected, _ = await communicator.connect()
            assert connected
            sockets.append(communicator)
            await _recv_type(communicator, "room_state")
        host_socket, listener_socket, _ = sockets
        await database_sync_to_async(lambda: block_service(room.host, removed))()
        changed = await _recv_type(listener_socket, "media_changed")
        new_pin = await database_sync_to_async(stored_pin)(room)
        assert changed["reason"] == "pin" and changed["media"]["pin"] == new_pin
        assert changed["media"]["mountpoint"] == room.pk and changed["media"]["plugin"] == STREAMING
        left = await _recv_type(host_socket, "participant_left")
        assert left["reason"] == "removed"
        while not await host_socket.receive_nothing(timeout=0.5):  # the stage gets no media_changed
            assert (await host_socket.receive_json_from())["type"] != "media_changed"
    finally:
        for communicator in sockets:
            await communicator.disconnect()
        await database_sync_to_async(services.room_end)(room=room, by_user=room.host)
        await layer.flush()
        await database_sync_to_async(connections.close_all)()


def block_service(host, user) -> None:
    from social.services import block_create

    block_create(blocker=host, blocked=user)
