"""Rooms on a real Janus with real WebRTC peers (aiortc), driven through our services and API:
a speaker's tone is heard by several listeners; after the host mutes the speaker, the listeners
get silence though the speaker's client keeps sending (and tries to unmute itself in Janus); a
listener the host removes (blocks) is cut off, and refused when it watches again with what it
held; a listener promoted to speaker is heard by the others.

The peers run on an asyncio loop in a thread of their own; the test drives the rooms from the
main thread (services, the REST API) as clients and hosts would, each peer using the media
object ``GET /rooms/{id}/media`` gave it."""

from __future__ import annotations

import asyncio
import time

import pytest

pytest.importorskip("aiortc", reason="aiortc is in requirements-dev.txt")

from accounts.tests.factories import UserFactory
from rooms import services
from rooms.tests.factories import live_room
from rooms.tests.peer_loop import closed as _closed
from rooms.tests.peer_loop import media_of, open_peer
from tests.janus_server import janus_settings
from tests.media_peers import AudioBridgePeer, JanusPeerError, StreamingListener

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_speaker_heard_mute_enforced_listener_cut_off_promotion_heard(settings, janus_server, auth_client, peers):
    loop, opened = peers
    janus_settings(settings, janus_server)
    room = live_room()
    listeners = [UserFactory() for _ in range(3)]
    for user in listeners:
        services.participant_join(room=room, user=user)

    # The host speaks (a 440 Hz tone); three listeners watch the mountpoint.
    host_peer = open_peer(loop, opened, media_of(auth_client, room, room.host))
    listener_peers = [open_peer(loop, opened, media_of(auth_client, room, user)) for user in listeners]
    assert all(isinstance(peer, StreamingListener) for peer in listener_peers)
    started = time.monotonic()
    for peer in listener_peers:
        assert loop.run(peer.meter.wait_heard(since=started, timeout=20)), "a listener heard nothing"

    # A speaker is muted by the host: the listeners get silence, though the speaker's client
    # keeps sending its tone and even asks Janus to unmute it.
    speaker = UserFactory()
    services.participant_join(room=room, user=speaker)
    services.speaker_add(room=room, by_user=room.host, target_user=speaker)
    speaker_peer = open_peer(loop, opened, media_of(auth_client, room, speaker), frequency=660.0)
    host_peer.tone.frequency = 0  # only the speaker makes sound now
    since = time.monotonic()
    assert loop.run(listener_peers[0].meter.wait_heard(since=since + 0.5, timeout=20)), "speaker not heard"
    services.participant_mute(room=room, by_user=room.host, target_user=speaker)
    muted_at = time.monotonic()
    try:
        loop.run(speaker_peer.set_muted(False))  # the client's own unmute: its handle is gone
    except Exception:
        pass
    for peer in listener_peers:
        assert loop.run(peer.meter.wait_silent(since=muted_at, duration=1.5, timeout=15)), (
            "still hearing the muted speaker"
        )
    assert speaker_peer.tone.frequency == 660.0  # it kept sending
    assert loop.run(_closed(speaker_peer)), "the muted speaker's Janus handle was not detached"
    # Rejoining the stage with its old token fails: the token left the room's allowed list.
    stale = AudioBridgePeer(url=speaker_peer.janus.url, token=speaker_peer.janus.token, room=room.pk)
    opened.append(stale)
    with pytest.raises(JanusPeerError, match="489"):
        loop.run(stale.join())
    # Its media now is the mountpoint, like a listener's.
    assert media_of(auth_client, room, speaker)["plugin"] == "janus.plugin.streaming"

    # A listener the host removes (blocks) is cut off: no more audio reaches them.
    host_peer.tone.frequency = 440.0
    leaving = listener_peers[2]
    assert loop.run(leaving.meter.wait_heard(since=time.monotonic(), timeout=20))
    response = auth_client(room.host).post(f"/api/v1/users/{listeners[2].username}/block")
    assert response.status_code in (200, 201, 204), response.content
    left_at = time.monotonic()
    assert loop.run(_closed(leaving)), "the departed listener's handle was not detached"
    loop.run(asyncio.sleep(1.5))
    assert leaving.meter.frames_since(left_at + 0.5) == 0, "audio still reaches the departed listener"
    # What they hold cannot watch again: the mountpoint has a new pin (test_media_removal.py).
    comeback = StreamingListener(url=leaving.janus.url, token=leaving.janus.token, mountpoint=room.pk, pin=leaving.pin)
    opened.append(comeback)
    with pytest.raises(JanusPeerError, match="457"):
        loop.run(comeback.watch())

    # Listener 0 is promoted: with its new media it joins the stage, and the others hear it.
    host_peer.tone.frequency = 0
    services.speaker_add(room=room, by_user=room.host, target_user=listeners[0])
    promoted_media = media_of(auth_client, room, listeners[0])
    assert promoted_media["plugin"] == "janus.plugin.audiobridge" and promoted_media["can_speak"] is True
    loop.run(listener_peers[0].close())
    promoted_peer = open_peer(loop, opened, promoted_media, frequency=550.0)
    since = time.monotonic()
    assert loop.run(listener_peers[1].meter.wait_heard(since=since + 0.5, timeout=20)), "promoted not heard"
    assert loop.run(host_peer.meter.wait_heard(since=since + 0.5, timeout=20)), "the host does not hear them"
    assert promoted_peer.connected

    # The room ends: Janus drops everyone.
    services.room_end(room=room, by_user=room.host)
    assert loop.run(_closed(listener_peers[1]))
    assert loop.run(_closed(promoted_peer))
