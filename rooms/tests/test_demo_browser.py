"""The demo page in real headless Chromium: two pages join one room over the page's own UI and
the listener's page gets the host's (fake) microphone as an incoming audio track.

Needs Debian's chromium at /usr/bin/chromium (``scripts/install_chromium.sh``), driven by
Playwright through ``executable_path``: ``playwright install`` is never used. Run it alone with

    .venv/bin/pytest rooms/tests/test_demo_browser.py -q
"""

from __future__ import annotations

import time

import pytest

from tests.browser import (
    CHROMIUM,
    CHROMIUM_MISSING,
    assert_local_ice,
    demo_server_env,
    inbound,
    launch,
    log_in,
    new_page,
)
from tests.server import migrate, register, run_server

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

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING),
]


def test_two_browser_pages_share_a_room_and_the_listener_hears_the_host(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements-dev.txt")
    started = time.monotonic()
    env = demo_server_env(tmp_path)
    migrate(env)
    with run_server(env, log_path=tmp_path / "server.log") as base, sync_api.sync_playwright() as playwright:
        register(base, "alice")
        register(base, "bob")
        browser = launch(playwright)
        try:
            host_page, listener_page = (new_page(browser, init_script=LOOPBACK_ONLY_ICE) for _ in range(2))

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
            reports = []
            while time.monotonic() < deadline:
                reports = inbound(listener_page)
                if reports and reports[0]["packetsReceived"] > 20 and reports[0]["totalAudioEnergy"] > 0:
                    break
                time.sleep(0.5)
            assert reports, "the listener has no inbound audio"
            assert reports[0]["packetsReceived"] > 20, reports
            assert reports[0]["totalAudioEnergy"] > 0, reports  # sound, not silence

            print(f"selected ICE pairs (local, remote): {assert_local_ice(listener_page)}")

            host_page.click("#end-room")
            sync_api.expect(listener_page.locator("#connection")).to_have_text("room ended")
        finally:
            browser.close()
    print(f"browser test took {time.monotonic() - started:.1f}s")
