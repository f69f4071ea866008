"""Per-room access to the listeners' mountpoints, against a real Janus: a listener's token opens
the whole Streaming plugin (Janus signed tokens name plugins, not mountpoints), so each
mountpoint has a pin (random, ``Room.media_pin``: ``rooms.media.pins``) that only the room's participants
get in their media object. A participant of room A cannot watch room B's mountpoint with its own
token, neither with A's pin nor without one; with its own pin it watches A."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("aiortc", reason="aiortc is in requirements-dev.txt")

from accounts.tests.factories import UserFactory
from rooms import services
from rooms.models import Room
from rooms.tests.factories import live_room
from tests.janus_server import janus_settings
from tests.media_peers import JanusPeerError, StreamingListener

# janus_streaming.c: 457 JANUS_STREAMING_ERROR_UNAUTHORIZED (wrong pin), 453 MISSING_ELEMENT (no pin)
REFUSED = r"^(457|453): "


@pytest.fixture
def on_janus(settings, janus_server):
    janus_settings(settings, janus_server)
    return janus_server


@pytest.mark.django_db(transaction=True)
def test_a_listener_watches_its_own_rooms_mountpoint_and_no_other(auth_client, on_janus):
    room_a, room_b = live_room(), live_room()
    listener = UserFactory()
    services.participant_join(room=room_a, user=listener)
    media = auth_client(listener).get(f"/api/v1/rooms/{room_a.pk}/media").json()
    pin_a, pin_b = (Room.objects.get(pk=room.pk).media_pin for room in (room_a, room_b))
    assert media["mountpoint"] == room_a.pk and media["pin"] == pin_a and len(pin_a) == 32
    assert pin_b != pin_a

    async def watch(mountpoint: int, pin: str | None) -> None:
        peer = StreamingListener(url=media["url"], token=media["token"], mountpoint=mountpoint, pin=pin)
        try:
            await peer.watch(timeout=15)
            assert peer.pc.remoteDescription is not None  # Janus's offer: watching
        finally:
            await peer.close()

    async def scenario() -> None:
        await watch(room_a.pk, media["pin"])
        for pin in (media["pin"], None, ""):
            with pytest.raises(JanusPeerError, match=REFUSED):
                await watch(room_b.pk, pin)
        with pytest.raises(JanusPeerError, match=REFUSED):
            await watch(room_a.pk, None)  # no pin, not even for one's own room

    try:
        asyncio.run(asyncio.wait_for(scenario(), 90))
    finally:
        for room in (room_a, room_b):
            services.room_end(room=room, by_user=room.host)
