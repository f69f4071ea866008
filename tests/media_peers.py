"""aiortc peers that talk to a real Janus (started by ``tests/janus_server.py``), for tests and
benchmarks of the audio rooms on a media server.

- ``AudioBridgePeer``: joins an AudioBridge room with a token, sends a tone (or silence) as its
  microphone, and measures the energy of the mix it receives.
- ``StreamingListener``: watches a Streaming mountpoint receive-only (with the media object's
  ``pin``) and measures the energy of what it receives.

Both speak Janus's HTTP API themselves (create a session, attach, send a plugin message with a
JSEP offer or answer, long-poll for events, keep-alives), as a browser with janus.js would.
aiortc gathers all its ICE candidates before ``setLocalDescription`` returns, so the SDPs carry
them and no trickle is needed; Janus's candidates come in its SDPs too.

Energy: every received 20 ms frame's RMS (16-bit samples) is kept with its arrival time;
``heard(since=..., threshold=...)`` says whether a frame louder than the threshold arrived since
then, ``silent_since(...)`` whether every frame since then was below it (and some arrived).
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import fractions
import math
import secrets
import time
from typing import Any

import httpx
from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError
from av import AudioFrame

SAMPLE_RATE = 48000
PTIME = 0.02
LOUD = 500.0  # RMS of a tone at 12000 amplitude is ~8500; Opus-coded silence stays near 0


class ToneTrack(AudioStreamTrack):
    """A sine tone (``frequency`` Hz, 0 for silence) in 20 ms frames of 16-bit mono at 48 kHz,
    paced in real time. ``frequency`` may change while it plays."""

    def __init__(self, frequency: float = 440.0, amplitude: int = 12000) -> None:
        super().__init__()
        self.frequency = frequency
        self.amplitude = amplitude
        self._sent = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:
        samples = int(PTIME * SAMPLE_RATE)
        if self._start is None:
            self._start = time.time()
        else:
            await asyncio.sleep(max(0.0, self._start + self._sent / SAMPLE_RATE - time.time()))
        if self.frequency:
            step = 2 * math.pi * self.frequency / SAMPLE_RATE
            pcm = array.array("h", (int(self.amplitude * math.sin(step * (self._sent + i))) for i in range(samples)))
        else:
            pcm = array.array("h", bytes(2 * samples))
        frame = AudioFrame(format="s16", layout="mono", samples=samples)
        frame.planes[0].update(pcm.tobytes())
        frame.pts = self._sent
        frame.sample_rate = SAMPLE_RATE
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._sent += samples
        return frame


def frame_rms(frame: AudioFrame) -> float:
    samples = array.array("h", bytes(frame.planes[0]))
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


class EnergyMeter:
    """Arrival time and RMS of every received frame."""

    def __init__(self) -> None:
        self.frames: list[tuple[float, float]] = []
        self.first_audio = asyncio.Event()
        self.first_loud_at: float | None = None

    def add(self, rms: float) -> None:
        now = time.monotonic()
        self.frames.append((now, rms))
        self.first_audio.set()
        if rms >= LOUD and self.first_loud_at is None:
            self.first_loud_at = now

    def since(self, since: float) -> list[float]:
        return [rms for at, rms in self.frames if at >= since]

    def heard(self, *, since: float = 0.0, threshold: float = LOUD) -> bool:
        return any(rms >= threshold for rms in self.since(since))

    def silent_since(self, since: float, *, threshold: float = LOUD, min_frames: int = 10) -> bool:
        frames = self.since(since)
        return len(frames) >= min_frames and all(rms < threshold for rms in frames)

    async def wait_heard(self, *, since: float = 0.0, timeout: float = 20.0, threshold: float = LOUD) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.heard(since=since, threshold=threshold):
                return True
            await asyncio.sleep(0.1)
        return False

    async def wait_silent(self, *, since: float, duration: float = 1.5, timeout: float = 20.0) -> bool:
        """True once ``duration`` seconds of frames (arriving from ``since`` on, or later) are all
        quiet."""
        deadline = time.monotonic() + timeout
        window_start = since
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            frames = [(at, rms) for at, rms in self.frames if at >= window_start]
            loud = [at for at, rms in frames if rms >= LOUD]
            if loud:
                window_start = loud[-1] + 1e-6
                continue
            if frames and frames[-1][0] - window_start >= duration and len(frames) >= 10:
                return True
        return False

    def frames_since(self, since: float) -> int:
        return len(self.since(since))


class JanusPeerError(Exception):
    pass


class JanusSession:
    """A client's Janus session over HTTP: requests with the token, events by long poll."""

    def __init__(self, url: str, token: str, *, http: httpx.AsyncClient | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        # ``http``: a client shared by many sessions (a benchmark's listeners), closed by its owner.
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=40.0))
        self.session_id: int | None = None
        self.handle_id: int | None = None
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.closed = asyncio.Event()  # the session or handle ended (kicked, destroyed, timed out)
        self.hangup_reason: str | None = None
        self._tasks: list[asyncio.Task] = []

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "transaction": secrets.token_hex(6), "token": self.token}
        response = await self.http.post(f"{self.url}{path}", json=body)
        payload = response.json()
        if payload.get("janus") == "error":
            raise JanusPeerError(f"{payload['error'].get('code')}: {payload['error'].get('reason')}")
        return payload

    async def start(self, plugin: str) -> None:
        self.session_id = (await self.post("", {"janus": "create"}))["data"]["id"]
        self.handle_id = (await self.post(f"/{self.session_id}", {"janus": "attach", "plugin": plugin}))["data"]["id"]
        self._tasks.append(asyncio.ensure_future(self._poll()))
        self._tasks.append(asyncio.ensure_future(self._keepalive()))

    async def message(self, body: dict[str, Any], jsep: dict[str, Any] | None = None) -> dict[str, Any]:
        request = {"janus": "message", "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        return await self.post(f"/{self.session_id}/{self.handle_id}", request)

    async def next_event(self, timeout: float = 15.0, *, want: str | None = None) -> dict[str, Any]:
        """The next plugin event (``janus: event``), optionally the next one carrying ``want``
        (a key of the plugin data, or "jsep")."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {want or 'event'} from Janus in {timeout}s")
            event = await asyncio.wait_for(self.events.get(), remaining)
            data = (event.get("plugindata") or {}).get("data") or {}
            if "error_code" in data:
                raise JanusPeerError(f"{data['error_code']}: {data.get('error')}")
            if want is None or want in data or (want == "jsep" and "jsep" in event):
                return event

    async def _poll(self) -> None:
        while not self.closed.is_set():
            try:
                response = await self.http.get(
                    f"{self.url}/{self.session_id}", params={"maxev": 10, "token": self.token, "rid": time.time()}
                )
                payload = response.json()
            except (httpx.HTTPError, ValueError):
                await asyncio.sleep(0.5)
                continue
            for event in payload if isinstance(payload, list) else [payload]:
                kind = event.get("janus")
                if kind == "event":
                    await self.events.put(event)
                elif kind in ("hangup", "detached"):
                    self.hangup_reason = event.get("reason", kind)
                    self.closed.set()
                elif kind == "error" and (event.get("error") or {}).get("code") in (458, 403):
                    self.hangup_reason = "session gone"
                    self.closed.set()

    async def _keepalive(self) -> None:
        while not self.closed.is_set():
            await asyncio.sleep(15)
            with contextlib.suppress(Exception):
                await self.post(f"/{self.session_id}", {"janus": "keepalive"})

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.session_id is not None and not self.closed.is_set():
            with contextlib.suppress(Exception):
                await self.post(f"/{self.session_id}", {"janus": "destroy"})
        if self._owns_http:
            await self.http.aclose()


class _Peer:
    plugin = ""

    def __init__(
        self,
        *,
        url: str,
        token: str,
        ice_servers: list[dict[str, Any]] | None = None,
        relay_only: bool = False,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.janus = JanusSession(url, token, http=http)
        servers = [RTCIceServer(**server) for server in (ice_servers or [])]
        # relay_only: iceTransportPolicy "relay", every packet goes through the TURN server.
        policy = RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=servers, iceTransportPolicy=policy))
        self.meter = EnergyMeter()
        self._consumers: list[asyncio.Task] = []

        @self.pc.on("track")
        def on_track(track) -> None:
            if track.kind == "audio":
                self._consumers.append(asyncio.ensure_future(self._consume(track)))

    async def _consume(self, track) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.meter.add(frame_rms(frame))

    @property
    def connected(self) -> bool:
        return self.pc.connectionState == "connected"

    async def close(self) -> None:
        for task in self._consumers:
            task.cancel()
        await self.pc.close()
        await self.janus.close()


class AudioBridgePeer(_Peer):
    """A stage member: joins AudioBridge ``room`` with ``token``, sends ``tone`` (a ToneTrack,
    440 Hz by default; ``frequency = 0`` for silence) and receives the mix."""

    plugin = "janus.plugin.audiobridge"

    def __init__(
        self, *, url: str, token: str, room: int, frequency: float = 440.0, display: str = "", **kwargs
    ) -> None:
        super().__init__(url=url, token=token, **kwargs)
        self.room = room
        self.tone = ToneTrack(frequency)
        self.display = display
        self.participant_id: int | None = None

    async def join(self, *, muted: bool = False, timeout: float = 20.0) -> None:
        await self.janus.start(self.plugin)
        self.pc.addTrack(self.tone)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = {"type": "offer", "sdp": self.pc.localDescription.sdp}
        body = {
            "request": "join",
            "room": self.room,
            "token": self.janus.token,
            "muted": muted,
            "display": self.display,
        }
        await self.janus.message(body, offer)
        event = await self.janus.next_event(timeout, want="jsep")
        data = event["plugindata"]["data"]
        self.participant_id = data.get("id")
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=event["jsep"]["sdp"], type=event["jsep"]["type"]))

    async def set_muted(self, muted: bool) -> None:
        """The client's own mute (``configure``), as any client may send."""
        await self.janus.message({"request": "configure", "muted": muted})


class StreamingListener(_Peer):
    """A receive-only listener of Streaming ``mountpoint``."""

    plugin = "janus.plugin.streaming"

    def __init__(self, *, url: str, token: str, mountpoint: int, pin: str | None = None, **kwargs) -> None:
        super().__init__(url=url, token=token, **kwargs)
        self.mountpoint = mountpoint
        self.pin = pin  # the media object's "pin", sent with watch

    async def watch(self, *, timeout: float = 20.0) -> None:
        await self.janus.start(self.plugin)
        body = {"request": "watch", "id": self.mountpoint, "offer_audio": True, "offer_video": False}
        if self.pin is not None:
            body["pin"] = self.pin
        await self.janus.message(body)
        event = await self.janus.next_event(timeout, want="jsep")
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=event["jsep"]["sdp"], type=event["jsep"]["type"]))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.janus.message({"request": "start"}, {"type": "answer", "sdp": self.pc.localDescription.sdp})


async def wait_for(predicate, *, timeout: float = 20.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return predicate()
