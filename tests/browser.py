"""Headless Chromium for the browser tests of the rooms demo page (``/rooms/demo/``).

Debian's chromium at ``/usr/bin/chromium`` (``scripts/install_chromium.sh``), driven by
Playwright through ``executable_path``: ``playwright install`` is never used.
``launch(playwright, fake_audio=...)`` starts it with fake media devices (the fake microphone
beeps, or plays a WAV file: ``write_tone_wav``); ``new_page`` opens a page in a context of its
own (one user each). ``log_in`` signs in through the page's own form; ``demo_server_env`` is
the environment of the server the pages talk to (``tests/server.run_server``).

Hearing: the page's ``window.demo.inboundAudio()`` gives the ``inbound-rtp`` audio statistics of
its peer connections; ``totalAudioEnergy`` (the integral of the squared audio level of what was
received and decoded) grows with sound and stands still with silence. ``energy(page)`` sums it,
``wait_for_energy_rise`` waits until it rises by at least some amount, ``wait_for_quiet`` until
it stays still for a while (the sender muted: only silence arrives, or nothing).
"""

from __future__ import annotations

import math
import struct
import time
import wave
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = "needs Debian's chromium at /usr/bin/chromium: run scripts/install_chromium.sh"
PASSWORD = "correct-horse-battery-staple"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Keep WebRTC on this machine: gather 127.0.0.1 candidates, no mDNS names (no multicast).
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]

# The candidate pairs ICE nominated on the page's peer connections: (local, remote) addresses.
SELECTED_PAIRS = """async () => {
  const pairs = [];
  for (const pc of window.demo.peerConnections()) {
    const stats = await pc.getStats();
    const byId = {};
    stats.forEach((report) => (byId[report.id] = report));
    stats.forEach((report) => {
      if (report.type === "candidate-pair" && report.nominated && report.state === "succeeded") {
        pairs.push([byId[report.localCandidateId].address, byId[report.remoteCandidateId].address]);
      }
    });
  }
  return pairs;
}"""


def demo_server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a daphne serving the demo on its own SQLite file (migrate it first):
    no Redis (in-memory channel layer), eager tasks; ``extra`` on top (e.g. Janus settings)."""
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "MEDIA_ROOT": str(tmp_path / "media"),
        **extra,
    }


def write_tone_wav(
    path: Path, *, frequency: float = 440.0, beep: float = 0.25, seconds: float = 2.0, amplitude: float = 0.5
) -> Path:
    """A mono 48 kHz 16-bit tone that beeps (``beep`` seconds on, ``beep`` off); Chromium's fake
    microphone loops it (``--use-file-for-fake-audio-capture``). It beeps because a steady tone
    is what the browser's noise suppression removes: it fades to a tenth within 3 s."""
    rate = 48000
    frames = b"".join(
        struct.pack("<h", int(amplitude * 32767 * math.sin(2 * math.pi * frequency * i / rate)))
        if (i / rate) % (2 * beep) < beep
        else b"\0\0"
        for i in range(int(rate * seconds))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


def launch(playwright, *, fake_audio: Path | None = None):
    """Headless Chromium with fake media devices (a WAV file as the microphone, if given)."""
    args = list(CHROMIUM_ARGS)
    if fake_audio is not None:
        args.append(f"--use-file-for-fake-audio-capture={fake_audio}")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)


def new_page(browser, *, init_script: str | None = None, timeout_ms: int = 20_000):
    """A page in a browser context of its own (its own session storage: one user per page)."""
    context = browser.new_context()
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    return page


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/rooms/demo/")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-button")
    page.wait_for_selector("#lobby-panel:not([hidden])")


def inbound(page) -> list[dict]:
    return page.evaluate("window.demo.inboundAudio()")


def energy(page) -> float:
    """The total audio energy the page has received so far, over all its peer connections."""
    return sum(report["totalAudioEnergy"] for report in inbound(page))


def wait_for_energy_rise(page, *, minimum: float, timeout: float = 20.0) -> float:
    """Waits until the page's received energy rises by ``minimum`` from now; returns the rise
    (smaller than ``minimum`` if it timed out)."""
    start = energy(page)
    deadline = time.monotonic() + timeout
    rise = 0.0
    while time.monotonic() < deadline:
        time.sleep(0.25)
        rise = energy(page) - start
        if rise >= minimum:
            break
    return rise


def wait_for_quiet(page, *, below: float, window: float = 2.0, timeout: float = 20.0) -> bool:
    """True once the page's received energy rose by less than ``below`` during ``window``
    seconds (the sound stopped); False if it kept rising for ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        start = energy(page)
        time.sleep(window)
        if energy(page) - start < below:
            return True
    return False


def this_machines_addresses() -> set[str]:
    import ifaddr  # installed with aiortc

    addresses = {"127.0.0.1", "::1"}
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            addresses.add(ip.ip if isinstance(ip.ip, str) else ip.ip[0])
    return addresses


def assert_local_ice(page) -> list:
    """Some ICE pair succeeded, and every address it used belongs to this machine."""
    pairs = page.evaluate(SELECTED_PAIRS)
    assert pairs, "no ICE pair succeeded"
    used = {address for pair in pairs for address in pair if address}  # prflx ones are redacted
    assert used <= this_machines_addresses(), pairs  # nothing left the machine
    return pairs
