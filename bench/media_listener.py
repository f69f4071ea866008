"""The benchmark's listener: a real aiortc receive-only peer of a Janus Streaming mountpoint
(``tests.media_peers.StreamingListener``: Janus HTTP API, ICE, DTLS, SRTP all real) that is cheap
enough for a few hundred of them on one small machine.

What it does differently from the test listener, and why (bench/rooms_media.py measured it):

- It does not decode every packet. aiortc's receiver puts every RTP packet through a jitter
  buffer into a decoder **thread** per listener, which hands each decoded frame back to the event
  loop (``run_coroutine_threadsafe``): per packet a thread wake-up, a GIL hand-over and a
  self-pipe write, and a few hundred threads fighting over the GIL. Here the receiver's
  ``_handle_rtp_packet`` is replaced by ``_on_rtp``, which runs in the event loop on the packet
  SRTP has already decrypted and authenticated: it counts the packet (per second of arrival) and
  its payload bytes, feeds aiortc's own RTCP statistics (so the receiver reports Janus gets stay
  real), and decodes a **sample**: every packet until the first loud one, then one packet in
  ``sample_every`` with a persistent Opus decoder of its own (mono, 48 kHz: libopus downmixes,
  nothing is resampled), whose RMS is kept with the arrival time.
- Many listeners share one ``httpx.AsyncClient`` (creating one per listener builds an SSL context
  each time: 14% of a 100-listener process's CPU while joining).

"Receiving audio" therefore means: SRTP packets from Janus arrived in the window and at least one
sampled packet of the window decoded to a frame at least as loud as ``LOUD`` (RMS of 16-bit
samples; the speaker's 440 Hz tone is ~8,500, Opus-coded silence ~0).

It also keeps what explains a drop: its PeerConnection's state changes (time, state), the
timestamps of each join phase, and Janus's hangup reason (``JanusSession.hangup_reason``).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import os
import random
import time
import warnings
from typing import Any

import aioice.ice
import aioice.stun
import av
import pylibsrtp
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RtpPacket, is_rtcp

from tests.media_peers import StreamingListener

LOUD = 500.0
SAMPLE_RATE = 48000


def pcm_rms(pcm: bytes) -> float:
    """RMS of 16-bit native-endian samples (``audioop``: C, in the standard library up to 3.12)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop

    return float(audioop.rms(pcm, 2))


class OpusSampler:
    """A persistent libopus decoder (PyAV) that gives the RMS of the packets it is handed."""

    def __init__(self) -> None:
        self.codec = av.CodecContext.create("libopus", "r")
        self.codec.format = "s16"
        self.codec.layout = "mono"
        self.codec.sample_rate = SAMPLE_RATE
        self.decoded = 0

    def rms(self, payload: bytes) -> float:
        loudest = 0.0
        for frame in self.codec.decode(av.Packet(payload)):
            self.decoded += 1
            samples = frame.samples * 2  # bytes of s16 mono; the plane may be padded
            loudest = max(loudest, pcm_rms(bytes(frame.planes[0])[:samples]))
        return loudest


class CountingListener(StreamingListener):
    """A Streaming listener that counts what it receives and decodes a sample of it."""

    def __init__(self, *, sample_every: int = 10, fast_path: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sample_every = max(1, sample_every)
        self.fast_path = fast_path
        self.per_second: collections.Counter[int] = collections.Counter()  # int(monotonic) -> packets
        self.bytes = 0
        self.packets = 0
        self.fast_packets = 0  # of which through the fast path
        self.loud_at: list[float] = []  # arrival times of sampled packets that were loud
        self.sampled_at: list[float] = []  # arrival times of every sampled packet
        self.phases: dict[str, float] = {}  # join phase -> monotonic time
        self.states: list[tuple[float, str]] = []  # (monotonic time, connectionState)
        self._sampler = OpusSampler()
        self._receiver = None

        @self.pc.on("track")
        def hook(track) -> None:
            for transceiver in self.pc.getTransceivers():
                if transceiver.receiver.track is track:
                    self._receiver = transceiver.receiver
                    transceiver.receiver._handle_rtp_packet = self._on_rtp

        @self.pc.on("connectionstatechange")
        def state_changed() -> None:
            now = time.monotonic()
            self.states.append((now, self.pc.connectionState))
            if self.pc.connectionState == "connected":
                self.phases.setdefault("connected", now)
                self._install_fast_path()

    async def _consume(self, track) -> None:
        """Nothing reaches the track: ``_on_rtp`` takes the packets before the jitter buffer."""

    async def _on_rtp(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        """aiortc's receiver entry point (packets that went through aiortc's own receive loop)."""
        self._count(packet)

    def _count(self, packet: RtpPacket) -> None:
        now = time.monotonic()
        self.packets += 1
        self.per_second[int(now)] += 1
        self.bytes += len(packet.payload)
        if "first_packet" not in self.phases:
            self.phases["first_packet"] = now
        streams = self._receiver._RTCRtpReceiver__remote_streams  # aiortc's RTCP receiver reports
        stream = streams.get(packet.ssrc)
        if stream is None:
            stream = streams[packet.ssrc] = StreamStatistics(SAMPLE_RATE)
        stream.add(packet)
        if self.loud_at and self.packets % self.sample_every:
            return
        self.sampled_at.append(now)
        try:
            loud = self._sampler.rms(packet.payload) >= LOUD
        except av.FFmpegError:
            return
        if loud:
            if not self.loud_at:
                self.phases["first_loud"] = now
            self.loud_at.append(now)

    def _install_fast_path(self) -> None:
        """Once DTLS is up: SRTP packets are decrypted (and authenticated) by the DTLS transport's
        own libsrtp session and parsed as soon as aioice hands them over, instead of going
        through aioice's queue and aiortc's receive task (a task wake-up per packet). RTCP,
        DTLS and STUN keep aiortc's path."""
        if self._receiver is None or not self.fast_path:
            return
        dtls = self._receiver.transport
        srtp = dtls._rx_srtp
        connection = dtls.transport._connection  # the aioice Connection
        if srtp is None or "data_received" in vars(connection):
            return
        queue = connection.data_received
        extensions = dtls._rtp_header_extensions_map
        count = self._count

        def data_received(data: bytes, component: int) -> None:
            if 127 < data[0] < 192 and not is_rtcp(data):
                try:
                    packet = RtpPacket.parse(srtp.unprotect(data), extensions)
                except (pylibsrtp.Error, ValueError):
                    return  # not authentic, or not RTP: dropped, as aiortc does
                self.fast_packets += 1
                count(packet)
                return
            queue(data, component)

        connection.data_received = data_received

    async def watch(self, *, timeout: float = 20.0) -> None:
        self.phases["watch"] = time.monotonic()
        await super().watch(timeout=timeout)
        self.phases["answered"] = time.monotonic()

    def window(self, start: float, end: float) -> dict[str, Any]:
        """What this listener received between ``start`` and ``end`` (monotonic times); packets
        are counted over the whole seconds inside the window."""
        seconds = [self.per_second.get(second, 0) for second in range(math.ceil(start), math.floor(end))]
        return {
            "packets": sum(seconds),
            "seconds": len(seconds),
            "loud": sum(1 for at in self.loud_at if start <= at <= end),
            "sampled": sum(1 for at in self.sampled_at if start <= at <= end),
            "every_second": bool(seconds) and all(seconds),
            "min_second": min(seconds, default=0),
        }


class LoopLag:
    """How late this event loop wakes a 50 ms sleep: a starved loop (too little CPU for its peers)
    delays every packet, STUN consent answer and DTLS timer it holds."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.samples: list[tuple[float, float]] = []  # (monotonic time, lag in seconds)
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.interval)
            now = time.monotonic()
            self.samples.append((now, now - before - self.interval))

    def between(self, start: float, end: float) -> list[float]:
        return [lag for at, lag in self.samples if start <= at <= end]


class ConsentCounter(logging.Handler):
    """Counts "Consent to send expired" (the peer closes its ICE connection) in this process."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.expired = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "Consent to send expired" in record.getMessage():
            self.expired += 1

    def install(self) -> None:
        ice_logger = logging.getLogger("aioice.ice")
        ice_logger.setLevel(logging.INFO)
        ice_logger.propagate = False
        ice_logger.addHandler(self)


CONSENT_TIMEOUT = 30.0  # RFC 7675 section 5.1


async def query_consent_rfc7675(self: aioice.ice.Connection) -> None:
    """RFC 7675 consent freshness, as browsers do it: a check every 5 s (+-20%) on each nominated
    pair, retransmitted like any STUN request (500 ms, doubling); consent expires, and the
    connection closes, when no check has been answered for 30 s.

    aioice 0.13's own ``query_consent`` sends each check once, counts it as failed if no answer
    came within 500 ms, and closes after 6 such checks in a row: a listener whose event loop falls
    a few hundred ms behind for half a minute (a loaded machine, a burst of joins) reads the
    answers late, behind the RTP in its socket, and drops a connection Janus still serves. The
    benchmark wants to see what Janus delivers, so its listeners use the RFC's rule
    (``--strict-consent`` keeps aioice's)."""
    assert self.remote_password is not None
    answered = time.monotonic()
    while True:
        await asyncio.sleep(aioice.ice.CONSENT_INTERVAL * (0.8 + 0.4 * random.random()))
        for pair in list(self._nominated.values()):
            request = self.build_request(pair, nominate=False)
            try:
                await pair.protocol.request(
                    request, pair.remote_addr, integrity_key=self.remote_password.encode("utf8"), retransmissions=3
                )
                answered = time.monotonic()
            except aioice.stun.TransactionError:
                pass
        if time.monotonic() - answered > CONSENT_TIMEOUT:
            logging.getLogger("aioice.ice").info("%s Consent to send expired", self)
            self._query_consent_task = None
            return await self.close()


def use_rfc7675_consent() -> None:
    """For every ICE connection this process makes from now on."""
    aioice.ice.Connection.query_consent = query_consent_rfc7675


def udp_socket_figures() -> dict[str, int]:
    """This process's UDP sockets (from /proc/net/udp, matched by inode): how many, the bytes
    waiting in their receive queues now, and the datagrams the kernel dropped because a queue
    was full (the process did not read fast enough)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    sockets = queued = drops = 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as udp:
                lines = udp.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 12 and fields[9] in inodes:
                sockets += 1
                queued += int(fields[4].split(":")[1], 16)
                drops += int(fields[12])
    return {"sockets": sockets, "queued_bytes": queued, "drops": drops}
