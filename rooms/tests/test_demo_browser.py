"""The demo page in real headless Chromium: two pages join one room over the page's own UI and
the listener's page gets the host's (fake) microphone as an incoming audio track.

Needs Debian's chromium at /usr/bin/chromium (``scripts/install_chromium.sh``), driven by
Playwright through ``executable_path``: ``playwright install`` is never used. Run it alone with

    .venv/bin/pytest rooms/tests/test_demo_browser.py -q
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.server import migrate, run_server

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct-horse-battery-staple"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Keep WebRTC on loopback: gather 127.0.0.1 candidates, no mDNS names (no multicast).
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]

# Test only: the pages accept nothing but loopback ICE candidates from each other, so every
# connectivity check goes to 127.0.0.1 / ::1 (answers may come back to the sending socket's own
# address on this machine); the demo itself uses whatever ICE finds.
LOOPBACK_ONLY_ICE = r"""
(() => {
  const loopback = (line) => / (127\.0\.0\.1|::1) \d+ typ /.test(line);
  const addIceCandidate = RTCPeerConnection.prototype.addIceCandidate;
  RTCPeerConnection.prototype.addIceCandidate = function (candidate, ...rest) {
    if (candidate && candidate.candidate && !loopback(candidate.candidate)) return Promise.resolve();
    return addIceCandidate.call(this, candidate, ...rest);
  };
  const setRemoteDescription = RTCPeerConnection.prototype.setRemoteDescription;
  RTCPeerConnection.prototype.setRemoteDescription = function (description, ...rest) {
    if (description && description.sdp) {
      const sdp = description.sdp
        .split("\r\n")
        .filter((line) => !line.startsWith("a=candidate:") || loopback(line))
        .join("\r\n");
      description = { type: description.type, sdp };
    }
    return setRemoteDescription.call(this, description, ...rest);
  };
})();
"""

SELECTED_PAIRS = """async () => {
  const pairs = [];
  for (const pc of window.demo.session.pcs.values()) {
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

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium: run scripts/install_chromium.sh"
    ),
]


def this_machines_addresses() -> set[str]:
    import ifaddr  # installed with aiortc

    addresses = {"127.0.0.1", "::1"}
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            addresses.add(ip.ip if isinstance(ip.ip, str) else ip.ip[0])
    return addresses


def register(base: str, username: str) -> None:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    response = httpx.post(f"{base}/api/v1/auth/register", json=body, timeout=10)
    assert response.status_code == 201, response.text


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/rooms/demo/")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-button")
    page.wait_for_selector("#lobby-panel:not([hidden])")


def test_two_browser_pages_share_a_room_and_the_listener_hears_the_host(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements-dev.txt")
    started = time.monotonic()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    migrate(env)
    with run_server(env, log_path=tmp_path / "server.log") as base, sync_api.sync_playwright() as playwright:
        register(base, "alice")
        register(base, "bob")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            pages = []
            for _ in range(2):
                context = browser.new_context()
                context.add_init_script(LOOPBACK_ONLY_ICE)
                page = context.new_page()
                page.set_default_timeout(20_000)
                pages.append(page)
            host_page, listener_page = pages

            log_in(host_page, base, "alice")
            host_page.fill("#create-title", "Browser room")
            host_page.click("#create-button")
            sync_api.expect(host_page.locator("#my-role")).to_have_text("host")
            sync_api.expect(host_page.locator("#connection")).to_have_text("connected")
            room_id = host_page.locator("#room-id").inner_text()

            log_in(listener_page, base, "bob")
            listener_page.fill("#join-id", room_id)
            listener_page.click("#join-button")
            sync_api.expect(listener_page.locator("#my-role")).to_have_text("listener")
            sync_api.expect(host_page.locator('#participants li[data-role="listener"]')).to_contain_text("@bob")

            host_page.click("#unmute")  # the fake microphone's beep goes out
            sync_api.expect(host_page.locator("#mute")).to_be_visible()

            status = listener_page.locator("#audio-status")
            sync_api.expect(status).to_have_text("incoming audio track from @alice")
            assert status.get_attribute("data-incoming-tracks") == "1"

            deadline = time.monotonic() + 20
            inbound = []
            while time.monotonic() < deadline:
                inbound = listener_page.evaluate("window.demo.inboundAudio()")
                if inbound and inbound[0]["packetsReceived"] > 20 and inbound[0]["totalAudioEnergy"] > 0:
                    break
                time.sleep(0.5)
            assert inbound, "the listener has no inbound audio"
            assert inbound[0]["packetsReceived"] > 20, inbound
            assert inbound[0]["totalAudioEnergy"] > 0, inbound  # sound, not silence

            pairs = listener_page.evaluate(SELECTED_PAIRS)
            assert pairs, "no ICE pair succeeded"
            print(f"selected ICE pairs (local, remote): {pairs}")
            used = {address for pair in pairs for address in pair if address}  # prflx ones are redacted
            assert used <= this_machines_addresses(), pairs  # nothing left the machine

            host_page.click("#end-room")
            sync_api.expect(listener_page.locator("#connection")).to_have_text("room ended")
        finally:
            browser.close()
    print(f"browser test took {time.monotonic() - started:.1f}s")
