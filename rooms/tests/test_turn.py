"""TURN through a real coturn (tests/turn_server.py runs deploy/coturn/turnserver.conf on loopback).

A listener whose RTCPeerConnection may use relay candidates only (``iceTransportPolicy="relay"``,
the TURN server its only ICE server, the credentials those ``GET /api/v1/rooms/ice_servers`` hands
out from ``ROOM_TURN_SECRET``) receives a tone from an aiortc sender: every packet it gets went
through coturn. A wrong or expired credential gets no relay candidate, so no connection.
"""

from __future__ import annotations

import array
import asyncio
import contextlib

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

aiortc = pytest.importorskip("aiortc", reason="aiortc is in requirements-dev.txt")

from aiortc import (  # noqa: E402
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
)

from rooms.ice import turn_credentials  # noqa: E402
from tests.media_peers import ToneTrack  # noqa: E402
from tests.turn_server import run_turn_server, turnserver_binary  # noqa: E402

SECRET = "turn-rest-secret-for-tests"


@pytest.fixture
def loopback_only(monkeypatch):
    """aioice gathers host candidates on 127.0.0.1 only: no traffic leaves the machine."""
    import aioice.ice

    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])


@pytest.fixture
def turn_server(tmp_path):
    if turnserver_binary() is None:
        pytest.skip("turnserver is not installed (scripts/install_media.sh installs coturn; .ci/run runs it)")
    with run_turn_server(secret=SECRET, workdir=tmp_path / "coturn") as server:
        yield server


class Listener:
    """Counts the audio frames of every track it receives and keeps the loudest sample."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.pc = pc
        self.frames = 0
        self.loudest = 0
        self.heard = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        pc.on("track", lambda track: self.tasks.append(asyncio.ensure_future(self.consume(track))))

    async def consume(self, track) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.frames += 1
            samples = array.array("h", bytes(frame.planes[0]))
            self.loudest = max(self.loudest, max((abs(s) for s in samples), default=0))
            if self.frames >= 25 and self.loudest > 1000:
                self.heard.set()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.pc.close()


def relay_only(ice_servers: list[dict]) -> RTCConfiguration:
    servers = [
        RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential")) for s in ice_servers
    ]
    return RTCConfiguration(iceServers=servers, iceTransportPolicy=RTCIceTransportPolicy.RELAY)


def ice_connection(pc: RTCPeerConnection):
    """aiortc's aioice Connection under a peer connection's (single, bundled) transport."""
    return pc.getTransceivers()[0].receiver.transport.transport.iceGatherer._connection


async def connect_relay_listener(configuration: RTCConfiguration, timeout: float) -> tuple[Listener, list]:
    """A P2P call: an aiortc sender (loopback host candidates) offers a tone to a listener with
    ``configuration``; the SDPs carry every candidate (aiortc gathers before answering)."""
    sender = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    listener = Listener(RTCPeerConnection(configuration))
    track = ToneTrack()
    sender.addTrack(track)
    cleanup = [sender, listener, track]
    await sender.setLocalDescription(await sender.createOffer())
    await listener.pc.setRemoteDescription(sender.localDescription)
    await listener.pc.setLocalDescription(await listener.pc.createAnswer())
    await sender.setRemoteDescription(listener.pc.localDescription)
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(listener.heard.wait(), timeout)
    return listener, cleanup


async def close_all(cleanup: list) -> None:
    sender, listener, track = cleanup
    track.stop()
    await listener.close()
    await sender.close()


def configure_turn(settings, server) -> None:
    settings.ROOM_ICE_SERVERS = [{"urls": [server.url]}]
    settings.ROOM_TURN_SECRET = SECRET
    settings.ROOM_TURN_TTL_SECONDS = 600


def test_relay_only_listener_hears_a_sender_through_coturn(turn_server, loopback_only, auth_client, user, settings):
    configure_turn(settings, turn_server)
    ice_servers = auth_client(user).get("/api/v1/rooms/ice_servers").json()["ice_servers"]
    assert ice_servers[0]["username"].endswith(f":{user.pk}")  # REST credentials from ROOM_TURN_SECRET

    async def scenario() -> None:
        listener, cleanup = await connect_relay_listener(relay_only(ice_servers), timeout=30)
        try:
            assert listener.heard.is_set(), f"no audio through the relay: {turn_server.log()[-3000:]}"
            assert listener.loudest > 1000
            connection = ice_connection(listener.pc)
            # The listener had nothing but relay candidates, and the nominated pair is one of them.
            assert {c.type for c in connection.local_candidates} == {"relay"}
            assert connection.local_candidates[0].host == "127.0.0.1"
            assert connection.local_candidates[0].port != turn_server.port  # a relay port coturn allocated
            nominated = connection._nominated[1]
            assert nominated.local_candidate.type == "relay"
            assert listener.pc.connectionState == "connected"
        finally:
            await close_all(cleanup)

    asyncio.run(asyncio.wait_for(scenario(), timeout=60))
    # coturn saw the REST username and allocated a relay for it.
    log = turn_server.log()
    assert f":{user.pk}" in log and "ALLOCATE processed, success" in log, log[-3000:]


@pytest.mark.parametrize("which", ["wrong secret", "expired", "other user's name"])
def test_bad_turn_credentials_get_no_relay_and_no_connection(turn_server, loopback_only, user, which):
    good = turn_credentials(secret=SECRET, user_id=user.pk, ttl_seconds=600)
    if which == "wrong secret":
        credentials = turn_credentials(secret="not-the-secret", user_id=user.pk, ttl_seconds=600)
    elif which == "expired":
        credentials = turn_credentials(secret=SECRET, user_id=user.pk, ttl_seconds=60, now=0)
    else:  # a valid credential, presented under another user's name
        credentials = {
            "username": good["username"].replace(f":{user.pk}", f":{user.pk + 1}"),
            "credential": good["credential"],
        }
    servers = [{"urls": [turn_server.url], **credentials}]

    async def scenario() -> None:
        listener, cleanup = await connect_relay_listener(relay_only(servers), timeout=8)
        try:
            assert not listener.heard.is_set()
            assert listener.frames == 0
            assert ice_connection(listener.pc).local_candidates == []  # coturn refused the allocation
            assert listener.pc.connectionState in ("new", "connecting", "failed")
        finally:
            await close_all(cleanup)

    asyncio.run(asyncio.wait_for(scenario(), timeout=60))
    assert "ALLOCATE processed, success" not in turn_server.log()


def test_the_shipped_config_refuses_to_relay_into_loopback(tmp_path, loopback_only, user):
    """deploy/coturn/turnserver.conf as shipped: a valid credential gets a relay, but coturn will
    not forward to a peer on 127.0.0.1 (which in production would be the TURN host's own services)."""
    if turnserver_binary() is None:
        pytest.skip("turnserver is not installed (scripts/install_media.sh installs coturn; .ci/run runs it)")
    with run_turn_server(secret=SECRET, workdir=tmp_path / "coturn", loopback_peers=False) as server:
        servers = [{"urls": [server.url], **turn_credentials(secret=SECRET, user_id=user.pk, ttl_seconds=600)}]

        async def scenario() -> None:
            listener, cleanup = await connect_relay_listener(relay_only(servers), timeout=8)
            try:
                assert {c.type for c in ice_connection(listener.pc).local_candidates} == {"relay"}
                assert not listener.heard.is_set() and listener.frames == 0
            finally:
                await close_all(cleanup)

        asyncio.run(asyncio.wait_for(scenario(), timeout=60))
        log = server.log()
    assert "ALLOCATE processed, success" in log
    assert "error 403: Forbidden IP" in log  # the permission / channel bind to 127.0.0.1


def test_relay_only_listener_hears_a_room_on_janus_through_coturn(settings, janus_server, tmp_path, auth_client):
    """The whole path a listener behind a strict NAT takes: a room on a real Janus, the host
    speaking on the AudioBridge, a listener whose media object (``GET /rooms/{id}/media``) carries
    the TURN server with its REST credentials, watching the mountpoint with relay candidates only.
    Janus's candidates are this machine's addresses; coturn is allowed to reach exactly those
    (``allowed-peer-ip``, as the config comments say to do for Janus on a private address)."""
    import aioice.ice

    from accounts.tests.factories import UserFactory
    from rooms import services
    from rooms.media.service import media_room_teardown
    from rooms.tests.factories import live_room
    from tests.janus_server import janus_settings
    from tests.media_peers import AudioBridgePeer, StreamingListener

    janus_settings(settings, janus_server)
    janus_addresses = aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
    extra = [f"allowed-peer-ip={address}" for address in janus_addresses]
    # Relayed packets leave coturn from the machine's address, as they would from a TURN host's
    # public one (with the relay on 127.0.0.1 and Janus on the machine's address, the ICE checks never completed).
    relay_ip = janus_addresses[0]
    with run_turn_server(secret=SECRET, workdir=tmp_path / "coturn", extra=extra, relay_ip=relay_ip) as turn:
        configure_turn(settings, turn)
        room = live_room()
        listener = UserFactory()
        services.participant_join(room=room, user=listener)
        host_media = auth_client(room.host).get(f"/api/v1/rooms/{room.pk}/media").json()
        media = auth_client(listener).get(f"/api/v1/rooms/{room.pk}/media").json()
        assert media["plugin"] == "janus.plugin.streaming"
        assert media["ice_servers"] == [{"urls": [turn.url], **media["ice_servers"][0]}]
        assert media["ice_servers"][0]["username"].endswith(f":{listener.pk}")

        async def scenario() -> None:
            # The host connects directly; only the listener is forced through the relay.
            host = AudioBridgePeer(url=host_media["url"], token=host_media["token"], room=host_media["room"])
            relayed = StreamingListener(
                url=media["url"],
                token=media["token"],
                mountpoint=media["mountpoint"],
                pin=media["pin"],
                ice_servers=media["ice_servers"],
                relay_only=True,
            )
            try:
                await host.join()
                await relayed.watch()
                assert await relayed.meter.wait_heard(timeout=30), f"nothing through the relay: {turn.log()[-3000:]}"
                connection = ice_connection(relayed.pc)
                assert {c.type for c in connection.local_candidates} == {"relay"}
                assert connection._nominated[1].local_candidate.type == "relay"
                assert connection._nominated[1].remote_candidate.host in janus_addresses
            finally:
                await relayed.close()
                await host.close()

        try:
            asyncio.run(asyncio.wait_for(scenario(), timeout=90))
        finally:
            media_room_teardown(room_id=room.pk)
        log = turn.log()
    assert f"user <{media['ice_servers'][0]['username']}>" in log
    assert "ALLOCATE processed, success" in log and "CHANNEL_BIND processed, success" in log, log[-3000:]
