"""Proof with real WebRTC peers: a real server process, two aiortc peers that signal only through
``/ws/rooms/{id}/`` (a real ``websockets`` client each), audio from the host to a listener.

ICE runs on loopback only (aioice is told to use 127.0.0.1), with no STUN server. aiortc puts
its candidates into the SDP; the peers take them out and send them as ``ice_candidate``
messages instead (trickle ICE), so the relay of all three message types is exercised.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import json

import httpx
import pytest

pytestmark = pytest.mark.slow

aiortc = pytest.importorskip("aiortc", reason="aiortc is in requirements-dev.txt")

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.sdp import candidate_from_sdp  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

from tests.media_peers import ToneTrack  # noqa: E402
from tests.server import migrate, run_server  # noqa: E402

PASSWORD = "correct-horse-battery-staple"


def split_candidates(sdp: str) -> tuple[str, list[str]]:
    """The SDP without its candidate lines, and those candidates (``candidate:...``)."""
    lines = sdp.splitlines()
    candidates = [line[2:] for line in lines if line.startswith("a=candidate:")]
    kept = [line for line in lines if not line.startswith(("a=candidate:", "a=end-of-candidates"))]
    return "\r\n".join(kept) + "\r\n", candidates


class Peer:
    """One user: a room socket and, per remote participant, an RTCPeerConnection."""

    def __init__(self, name: str, user_id: int, ws) -> None:
        self.name = name
        self.user_id = user_id
        self.ws = ws
        self.pcs: dict[int, RTCPeerConnection] = {}
        self.frames: list[dict] = []  # every frame received, for assertions
        self.audio_frames = 0
        self.loudest = 0
        self.audio_started = asyncio.Event()
        self.got_enough_audio = asyncio.Event()
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self.tasks: list[asyncio.Task] = []

    def pc_for(self, remote: int) -> RTCPeerConnection:
        if remote not in self.pcs:
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

            @pc.on("track")
            def on_track(track) -> None:
                self.tasks.append(asyncio.ensure_future(self.consume(track)))

            self.pcs[remote] = pc
        return self.pcs[remote]

    async def consume(self, track) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.audio_frames += 1
            samples = array.array("h", bytes(frame.planes[0]))
            self.loudest = max(self.loudest, max((abs(s) for s in samples), default=0))
            self.audio_started.set()
            if self.audio_frames >= 25 and self.loudest > 1000:
                self.got_enough_audio.set()

    async def send(self, **message) -> None:
        await self.ws.send(json.dumps(message))

    async def send_description(self, kind: str, remote: int, pc: RTCPeerConnection) -> None:
        sdp, candidates = split_candidates(pc.localDescription.sdp)
        await self.send(type=kind, to=remote, sdp=sdp)
        for candidate in candidates:
            await self.send(type="ice_candidate", to=remote, candidate={"candidate": candidate, "sdpMid": "0"})
        await self.send(type="ice_candidate", to=remote, candidate=None)

    async def offer_to(self, remote: int, track) -> None:
        pc = self.pc_for(remote)
        pc.addTrack(track)
        await pc.setLocalDescription(await pc.createOffer())
        await self.send_description("offer", remote, pc)

    async def handle(self, frame: dict) -> None:
        kind = frame["type"]
        if kind == "offer":
            pc = self.pc_for(frame["from"])
            await pc.setRemoteDescription(RTCSessionDescription(sdp=frame["sdp"], type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            await self.send_description("answer", frame["from"], pc)
        elif kind == "answer":
            await self.pcs[frame["from"]].setRemoteDescription(RTCSessionDescription(sdp=frame["sdp"], type="answer"))
        elif kind == "ice_candidate":
            pc = self.pcs[frame["from"]]
            if frame["candidate"] is None:
                await pc.addIceCandidate(None)
            else:
                candidate = candidate_from_sdp(frame["candidate"]["candidate"].split(":", 1)[1])
                candidate.sdpMid = frame["candidate"]["sdpMid"]
                await pc.addIceCandidate(candidate)

    async def read(self, on_frame=None) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                self.frames.append(frame)
                await self.handle(frame)
                if on_frame is not None:
                    await on_frame(frame)
        except ConnectionClosed:
            pass
        self.close_code = self.ws.close_code
        self.closed.set()

    def types(self) -> list[str]:
        return [frame["type"] for frame in self.frames]

    async def shutdown(self) -> None:
        for pc in self.pcs.values():
            await pc.close()
        for task in self.tasks:
            task.cancel()
        await self.ws.close()


def register(client: httpx.Client, username: str) -> dict:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def loopback_only(monkeypatch):
    """aioice gathers host candidates on 127.0.0.1 only: no traffic leaves the machine."""
    import aioice.ice

    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])


def test_two_aiortc_peers_talk_through_the_room_socket(tmp_path, loopback_only):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'rooms.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    migrate(env)
    with run_server(env, log_path=tmp_path / "server.log") as base:
        asyncio.run(asyncio.wait_for(scenario(base), timeout=60))


async def scenario(base: str) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        host = register(client, "host")
        listener = register(client, "listener")
        headers = {"Authorization": f"Bearer {host['access']}"}
        room = client.post("/api/v1/rooms", json={"title": "Loopback"}, headers=headers).json()
        assert client.post(f"/api/v1/rooms/{room['id']}/start", headers=headers).status_code == 200
        ice = client.get("/api/v1/rooms/ice_servers", headers=headers).json()["ice_servers"]
        assert ice == []  # no STUN: loopback host candidates only

    ws_base = base.replace("http://", "ws://") + f"/ws/rooms/{room['id']}/?token="
    host_ws = await connect(ws_base + host["access"])
    listener_ws = await connect(ws_base + listener["access"])
    host_peer = Peer("host", host["user"]["id"], host_ws)
    listener_peer = Peer("listener", listener["user"]["id"], listener_ws)
    track = ToneTrack()

    async def host_on_frame(frame: dict) -> None:
        # The host (a speaker) offers its audio to everyone who joins.
        if frame["type"] == "participant_joined" and frame["participant"]["user"]["id"] != host_peer.user_id:
            await host_peer.offer_to(frame["participant"]["user"]["id"], track)

    readers = [
        asyncio.ensure_future(host_peer.read(host_on_frame)),
        asyncio.ensure_future(listener_peer.read()),
    ]
    try:
        await asyncio.wait_for(listener_peer.got_enough_audio.wait(), timeout=30)
        assert listener_peer.audio_frames >= 25
        assert listener_peer.loudest > 1000  # the tone, not silence
        assert host_peer.pcs[listener_peer.user_id].connectionState == "connected"

        # All signalling went through the room socket, with server-set senders.
        assert listener_peer.types()[0] == "room_state"
        offers = [f for f in listener_peer.frames if f["type"] == "offer"]
        assert [(f["from"], f["to"]) for f in offers] == [(host_peer.user_id, listener_peer.user_id)]
        assert any(f["type"] == "ice_candidate" and f["candidate"] for f in listener_peer.frames)
        answers = [f for f in host_peer.frames if f["type"] == "answer"]
        assert [f["from"] for f in answers] == [listener_peer.user_id]
        assert any(f["type"] == "ice_candidate" and f["candidate"] for f in host_peer.frames)

        # The host ends the room: both sockets get room_ended and are closed.
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            response = await client.post(f"/api/v1/rooms/{room['id']}/end", headers=headers)
            assert response.status_code == 200
        await asyncio.wait_for(asyncio.gather(host_peer.closed.wait(), listener_peer.closed.wait()), timeout=10)
        for peer in (host_peer, listener_peer):
            assert peer.types()[-1] == "room_ended", peer.types()
            assert peer.close_code == 1000
    finally:
        for peer in (host_peer, listener_peer):
            await peer.shutdown()
        for reader in readers:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        track.stop()
