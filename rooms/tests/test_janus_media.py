"""The Janus client (rooms/media/janus.py) against a real Janus started by the ``janus_server``
fixture, and real media through it: an aiortc speaker in an AudioBridge room is heard by aiortc
listeners of the Streaming mountpoint its mix is forwarded to (``rtp_forward``)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

pytest.importorskip("aiortc", reason="aiortc is in requirements-dev.txt")

from rooms.media.janus import AUDIOBRIDGE, STREAMING, JanusClient, JanusConfig, JanusError, JanusUnavailable
from rooms.media.tokens import sign_token, token_holder
from tests.janus_server import janus_client
from tests.media_peers import AudioBridgePeer, JanusPeerError, JanusSession, StreamingListener


def token(janus, plugin: str, room: int, user: int, ttl: int = 120) -> str:
    return sign_token(secret=janus.token_secret, plugin=plugin, room_id=room, user_id=user, ttl_seconds=ttl)


def test_room_and_mountpoint_create_and_destroy_are_idempotent(janus_server):
    with janus_client(janus_server) as client:
        with client.handle(AUDIOBRIDGE) as bridge:
            assert bridge.audiobridge_create(room=101, secret="s1") is True
            assert bridge.audiobridge_create(room=101, secret="s1") is False
            assert bridge.audiobridge_exists(room=101)
            bridge.audiobridge_destroy(room=101, secret="s1")
            bridge.audiobridge_destroy(room=101, secret="s1")  # no such room: success
            assert not bridge.audiobridge_exists(room=101)
        with client.handle(STREAMING) as streaming:
            port = streaming.streaming_create_audio(mountpoint=101, secret="m1")
            assert streaming.streaming_create_audio(mountpoint=101, secret="m1") == port
            streaming.streaming_destroy(mountpoint=101, secret="m1")
            streaming.streaming_destroy(mountpoint=101, secret="m1")
            assert not streaming.streaming_exists(mountpoint=101)


def test_only_our_backend_creates_rooms_and_forwards(janus_server):
    """Without the plugin admin_key Janus refuses to create rooms, mountpoints or forwarders;
    without the room secret it refuses to manage a room; without the API secret, everything."""
    with janus_client(janus_server, admin_key="wrong") as client:
        with client.handle(AUDIOBRIDGE) as bridge:
            with pytest.raises(JanusError) as refused:
                bridge.audiobridge_create(room=102, secret="s")
            assert refused.value.code == 489  # unauthorized
        with client.handle(STREAMING) as streaming:
            with pytest.raises(JanusError) as refused:
                streaming.streaming_create_audio(mountpoint=102, secret="m")
            assert refused.value.code == 457
    with janus_client(janus_server) as client, client.handle(AUDIOBRIDGE) as bridge:
        bridge.audiobridge_create(room=102, secret="s")
        with pytest.raises(JanusError) as refused:
            bridge.audiobridge_allowed(room=102, secret="not-it", action="add", tokens=["x"])
        assert refused.value.code == 489
        bridge.audiobridge_destroy(room=102, secret="s")
    with janus_client(janus_server, api_secret="wrong") as client:
        with pytest.raises(JanusError) as refused, client.handle(AUDIOBRIDGE):
            pass
        assert refused.value.code == 403
        assert not isinstance(refused.value, JanusUnavailable)


def test_janus_runs_media_on_one_shared_loop_per_cpu(janus_server):
    """deploy/janus/janus.jcfg's event_loops (run_janus: one per CPU by default, 0 for a thread per
    handle), without loop indication: clients cannot pick a loop."""
    import httpx

    from deploy.janus_config import default_event_loops, run_janus

    info = httpx.get(f"{janus_server.url}/info").json()
    assert info["static-event-loops"] == default_event_loops() >= 1
    assert info["loop-indication"] is False
    with run_janus(event_loops=0) as per_handle:
        assert httpx.get(f"{per_handle.url}/info").json()["static-event-loops"] == 0


def test_unreachable_janus_is_janus_unavailable():
    from deploy.janus_config import free_port

    client = JanusClient(JanusConfig(url=f"http://127.0.0.1:{free_port()}/janus", api_secret="x", timeout=1.0))
    with pytest.raises(JanusUnavailable), client.handle(AUDIOBRIDGE):
        pass
    with pytest.raises(JanusUnavailable):
        client.info()


def test_tokens_name_their_holder_and_plugin():
    signed = sign_token(secret="k", plugin=STREAMING, room_id=7, user_id=42, ttl_seconds=60, now=1000)
    assert signed.startswith("1060,janus,janus.plugin.streaming,tc-r7-u42:")
    assert token_holder(signed) == (7, 42)
    assert token_holder("garbage") is None
    assert token_holder("1,janus,janus.plugin.streaming:sig") is None


def test_a_token_opens_only_its_own_plugin(janus_server):
    async def scenario():
        listener_token = token(janus_server, STREAMING, 103, 1)
        session = JanusSession(janus_server.url, listener_token)
        try:
            with pytest.raises(JanusPeerError, match=r"405|can.t access plugin"):
                await session.start(AUDIOBRIDGE)
        finally:
            await session.close()
        expired = sign_token(secret=janus_server.token_secret, plugin=STREAMING, room_id=103, user_id=1, ttl_seconds=-5)
        session = JanusSession(janus_server.url, expired)
        try:
            with pytest.raises(JanusPeerError, match="403"):
                await session.start(STREAMING)
        finally:
            await session.close()

    asyncio.run(scenario())


@contextlib.contextmanager
def forwarded_room(janus, room: int, speaker_token: str):
    """An AudioBridge room admitting ``speaker_token`` whose mix is rtp_forwarded to a Streaming
    mountpoint of the same id; both destroyed afterwards."""
    with janus_client(janus) as client:
        with client.handle(STREAMING) as streaming:
            port = streaming.streaming_create_audio(mountpoint=room, secret="m")
        with client.handle(AUDIOBRIDGE) as bridge:
            bridge.audiobridge_create(room=room, secret="s")
            bridge.audiobridge_allowed(room=room, secret="s", action="enable")
            bridge.audiobridge_allowed(room=room, secret="s", action="add", tokens=[speaker_token])
            bridge.audiobridge_rtp_forward(room=room, secret="s", host="127.0.0.1", port=port)
    try:
        yield
    finally:
        with janus_client(janus) as client:
            with client.handle(AUDIOBRIDGE) as bridge:
                bridge.audiobridge_destroy(room=room, secret="s")
            with client.handle(STREAMING) as streaming:
                streaming.streaming_destroy(mountpoint=room, secret="m")


def test_a_speaker_is_heard_by_listeners_through_the_mountpoint(janus_server):
    """The stage path and the listener path: an aiortc speaker with a 440 Hz tone joins the
    AudioBridge room with an allowed token; the room's mix is rtp_forwarded to a Streaming
    mountpoint; two receive-only aiortc listeners of that mountpoint receive non-silent audio.
    A participant without an allowed token cannot join the room."""
    room = 104
    speaker_token = token(janus_server, AUDIOBRIDGE, room, 1)

    async def scenario():
        speaker = AudioBridgePeer(url=janus_server.url, token=speaker_token, room=room)
        intruder = AudioBridgePeer(url=janus_server.url, token=token(janus_server, AUDIOBRIDGE, room, 9), room=room)
        listeners = [
            StreamingListener(url=janus_server.url, token=token(janus_server, STREAMING, room, 10 + i), mountpoint=room)
            for i in range(2)
        ]
        try:
            with pytest.raises(JanusPeerError, match="489"):  # not in the allowed list
                await intruder.join()
            await speaker.join()
            for listener in listeners:
                await listener.watch()
            started = time.monotonic()
            for listener in listeners:
                assert await listener.meter.wait_heard(since=started, timeout=20), "listener heard nothing"
            # The speaker receives the mix too (its own voice is left out of it: silence).
            assert await speaker.meter.first_audio.wait() is True
        finally:
            for peer in [speaker, intruder, *listeners]:
                await peer.close()

    with forwarded_room(janus_server, room, speaker_token):
        asyncio.run(asyncio.wait_for(scenario(), 90))
