"""bench/media_listener.py against a real Janus: what bench/rooms_media.py calls "receiving
audio" is real. A CountingListener of a mountpoint fed by an AudioBridge room counts SRTP packets
through its fast path, decodes a sample of them, finds the speaker's tone loud and finds silence
silent although packets keep arriving; aiortc's RTCP statistics still see every packet."""

from __future__ import annotations

import asyncio
import time

import pytest

pytest.importorskip("aiortc", reason="aiortc is in requirements-dev.txt")

from bench.media_listener import CountingListener
from rooms.media.janus import AUDIOBRIDGE, STREAMING
from rooms.media.tokens import sign_token
from rooms.tests.test_janus_media import forwarded_room
from tests.media_peers import AudioBridgePeer, wait_for

ROOM = 401


def token(janus, plugin: str, user: int) -> str:
    return sign_token(secret=janus.token_secret, plugin=plugin, room_id=ROOM, user_id=user, ttl_seconds=120)


def test_the_bench_listener_hears_the_tone_and_hears_silence_as_silence(janus_server):
    speaker_token = token(janus_server, AUDIOBRIDGE, 1)

    async def scenario():
        speaker = AudioBridgePeer(url=janus_server.url, token=speaker_token, room=ROOM)
        listener = CountingListener(
            url=janus_server.url, token=token(janus_server, STREAMING, 2), mountpoint=ROOM, sample_every=5
        )
        try:
            await speaker.join()
            await listener.watch()
            assert await wait_for(lambda: bool(listener.loud_at), timeout=20), "the tone was never loud"
            assert await wait_for(lambda: listener.fast_packets > 50, timeout=10)
            stats = listener._receiver._RTCRtpReceiver__remote_streams
            assert sum(stream.packets_received for stream in stats.values()) == listener.packets

            speaker.tone.frequency = 0  # the stage goes quiet; Janus keeps sending (silence)
            await asyncio.sleep(1.5)
            start = time.monotonic()
            await asyncio.sleep(3.2)
            quiet = listener.window(start, time.monotonic())
            assert quiet["packets"] >= 100 and quiet["every_second"]
            assert quiet["sampled"] >= 15 and quiet["loud"] == 0, quiet

            speaker.tone.frequency = 440.0
            back = time.monotonic()
            assert await wait_for(lambda: any(at > back for at in listener.loud_at), timeout=10)
        finally:
            await listener.close()
            await speaker.close()

    with forwarded_room(janus_server, ROOM, speaker_token):
        asyncio.run(asyncio.wait_for(scenario(), 90))
