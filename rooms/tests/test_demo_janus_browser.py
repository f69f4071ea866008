"""The demo page on Janus, in real headless Chromium: a real daphne with its rooms on a real Janus
(the ``janus_server`` fixture), the host's page on the AudioBridge stage with a fake microphone
beeping a 440 Hz tone, a listener's page on the Streaming mountpoint, both talking to Janus
straight from the browser (janus-client.js) with the tokens of their media objects.

What is heard is measured in the listening page, from its RTCPeerConnection's inbound-rtp
``totalAudioEnergy`` (tests/browser.py): it must stand still while the host is muted, rise once the
host unmutes, and stand still again after the host mutes. Then the host makes the listener a
speaker: ``media_changed`` moves their page onto the stage, and once they unmute the host hears
them in the mix (the host's own voice is never in its own mix, so only the new speaker can make
the host's energy rise); the host mutes them, and ``media_changed`` takes their page back to the
mountpoint, where they hear the host again. The host blocks a third participant: the mountpoint
gets a new pin and the listener's page takes it without reconnecting, still hearing; the
listener's room socket drops and the page reconnects it, keeping its Janus session. Tokens
live 6 s here: the host's Janus session lasts the whole test
because the page swaps in a fresh token (GET /media) before each one expires. Run it alone with

    .venv/bin/pytest rooms/tests/test_demo_janus_browser.py -q -s
"""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.browser import (
    CHROMIUM,
    CHROMIUM_MISSING,
    assert_local_ice,
    demo_server_env,
    energy,
    launch,
    log_in,
    new_page,
    wait_for_energy_rise,
    wait_for_quiet,
    write_tone_wav,
)
from tests.server import migrate, register, run_server

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING)]

# totalAudioEnergy grows by (audio level)^2 per second of sound: the beeps (half of full scale,
# half of the time) add about 0.1/s; silence (a muted stage, an empty mix) adds nothing.
HEARD = 0.1  # rise that counts as hearing the tone
QUIET = 0.005  # largest rise over QUIET_WINDOW that counts as silence
QUIET_WINDOW = 2.0

TOKEN_TTL = 6  # seconds
REFRESHES = "window.demo.session.media.tokenRefreshes"
# A request on the page's open Janus connection, with the token it holds now.
KEEPALIVE = """async () => {
  const conn = window.demo.session.media.conn;
  return (await conn.request(`/${conn.sessionId}`, { janus: "keepalive" })).janus;
}"""

STAGE_MIX = "incoming audio track from the stage (Janus AudioBridge mix)"
MOUNTPOINT = "incoming audio track from the room (Janus Streaming mountpoint)"


def test_demo_page_on_janus_listener_hears_host_and_promotion_moves_to_stage(tmp_path, janus_server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements-dev.txt")
    expect = sync_api.expect
    started = time.monotonic()
    # Tokens live TOKEN_TTL seconds: the pages must swap in fresh ones (GET /media) as they go.
    env = demo_server_env(tmp_path, ROOM_MEDIA_TOKEN_TTL_SECONDS=str(TOKEN_TTL), **janus_server.as_settings())
    migrate(env)
    tone = write_tone_wav(tmp_path / "tone.wav")
    with run_server(env, log_path=tmp_path / "server.log") as base, sync_api.sync_playwright() as playwright:
        alice = register(base, "alice")
        register(base, "bob")
        carol = register(base, "carol")
        browser = launch(playwright, fake_audio=tone)
        try:
            host_page, listener_page = new_page(browser), new_page(browser)
            routes = []  # (page side, server side) of the listener's room sockets (Playwright's)
            listener_page.route_web_socket(
                re.compile(r"/ws/rooms/\d+/"), lambda ws: routes.append((ws, ws.connect_to_server()))
            )

            # The host starts a room: their page joins the AudioBridge stage (muted at first).
            log_in(host_page, base, "alice")
            host_page.fill("#create-title", "Janus room")
            host_page.click("#create-button")
            expect(host_page.locator("#my-role")).to_have_text("host")
            expect(host_page.locator("#media-backend")).to_have_text("janus")
            expect(host_page.locator("#media-state")).to_have_text("stage")
            expect(host_page.locator("#unmute")).to_be_visible()
            room_id = host_page.locator("#room-id").inner_text()
            hosting_since = time.monotonic()

            # A listener joins: their page watches the mountpoint, receive-only.
            log_in(listener_page, base, "bob")
            listener_page.fill("#join-id", room_id)
            listener_page.click("#join-button")
            expect(listener_page.locator("#my-role")).to_have_text("listener")
            expect(listener_page.locator("#media-state")).to_have_text("listening")
            expect(listener_page.locator("#audio-status")).to_have_text(MOUNTPOINT)
            assert listener_page.evaluate("window.demo.peerConnections().length") == 1

            # The host is muted: the listener gets no sound.
            assert wait_for_quiet(listener_page, below=QUIET, window=QUIET_WINDOW, timeout=10), "sound before unmute"
            assert energy(listener_page) < HEARD, "the listener heard something before the host unmuted"

            # The host unmutes: the tone reaches the listener through Janus.
            host_page.click("#unmute")
            expect(host_page.locator("#mute")).to_be_visible()
            rise = wait_for_energy_rise(listener_page, minimum=HEARD, timeout=20)
            print(f"listener's energy rise after the host unmuted: {rise:.3f}")
            assert rise >= HEARD, "the listener does not hear the host"
            pairs = assert_local_ice(listener_page)
            print(f"listener's ICE pairs with Janus (local, remote): {pairs}")

            # The host mutes again: silence again.
            host_page.click("#mute")
            expect(host_page.locator("#unmute")).to_be_visible()
            assert wait_for_quiet(listener_page, below=QUIET, window=QUIET_WINDOW, timeout=15), "still hearing the host"

            # The host makes bob a speaker: media_changed moves his page onto the stage.
            bob = host_page.locator('#participants li[data-role="listener"]', has_text="@bob")
            bob.get_by_role("button", name="Make speaker").click()
            expect(listener_page.locator("#my-role")).to_have_text("speaker")
            expect(listener_page.locator("#media-state")).to_have_text("stage")
            expect(listener_page.locator("#audio-status")).to_have_text(STAGE_MIX)
            expect(listener_page.locator("#unmute")).to_be_visible()  # promoted muted
            assert wait_for_quiet(host_page, below=QUIET, window=QUIET_WINDOW, timeout=10), "host hears a muted bob"
            listener_page.click("#unmute")
            rise = wait_for_energy_rise(host_page, minimum=HEARD, timeout=20)
            print(f"host's energy rise after the promoted speaker unmuted: {rise:.3f}")
            assert rise >= HEARD, "the host does not hear the promoted speaker"
            # The host's Janus session outlived its first tokens: the page replaced each one before
            # it expired, so its requests still pass Janus's token check.
            time.sleep(max(0.0, hosting_since + 2 * TOKEN_TTL - time.monotonic()))
            expect(host_page.locator("#media-state")).to_have_text("stage")
            assert host_page.evaluate(REFRESHES) >= 2
            assert host_page.evaluate(KEEPALIVE) == "ack", "the host's Janus session has no valid token"

            # The host mutes bob (a host mute): Janus takes him off the stage and media_changed
            # moves his page back to the mountpoint, where he hears the host again.
            speaker = host_page.locator('#participants li[data-role="speaker"]', has_text="@bob")
            speaker.get_by_role("button", name="Mute").click()
            expect(listener_page.locator("#media-state")).to_have_text("listening")
            expect(listener_page.locator("#audio-status")).to_have_text(MOUNTPOINT)
            expect(listener_page.locator("#unmute")).to_be_disabled()
            assert wait_for_quiet(host_page, below=QUIET, window=QUIET_WINDOW, timeout=15), "host still hears bob"
            host_page.click("#unmute")
            rise = wait_for_energy_rise(listener_page, minimum=HEARD, timeout=20)
            print(f"host-muted speaker's energy rise on the mountpoint after the host unmuted: {rise:.3f}")
            assert rise >= HEARD, "back on the mountpoint, bob does not hear the host"

            # The host removes (blocks) another listener: the mountpoint gets a new pin, and bob's
            # page takes its new media object (media_changed, reason "pin") without reconnecting:
            # the same Janus session and peer connection, still hearing the host.
            api(base, carol, "POST", f"/api/v1/rooms/{room_id}/join")
            listener_page.evaluate("window.__before = [window.demo.session.media.conn, window.demo.session.media.pc]")
            old_pin = listener_page.evaluate("window.demo.session.media.media.pin")
            api(base, alice, "POST", "/api/v1/users/carol/block")
            listener_page.wait_for_function("window.demo.session.media.pinChanges === 1", timeout=15_000)
            assert listener_page.evaluate("window.demo.session.media.media.pin") != old_pin
            same = "window.__before[0] === window.demo.session.media.conn"
            same += " && window.__before[1] === window.demo.session.media.pc"
            assert listener_page.evaluate(same), "the listener reconnected on a pin change"
            expect(listener_page.locator("#media-state")).to_have_text("listening")
            rise = wait_for_energy_rise(listener_page, minimum=HEARD, timeout=20)
            assert rise >= HEARD, "after the pin change bob does not hear the host"

            # Bob's room socket drops: the page reconnects (room.js backoff), takes the fresh
            # room_state and keeps its Janus session (it does not go through the room socket).
            page_side, server_side = routes[-1]
            server_side.close(code=1012, reason="restart")
            page_side.close(code=1012, reason="restart")
            listener_page.wait_for_function("window.demo.session.reconnects === 1", timeout=20_000)
            expect(listener_page.locator("#connection")).to_have_text("connected")
            assert listener_page.evaluate(same), "the listener's Janus session was replaced on a socket reconnection"
            expect(listener_page.locator("#media-state")).to_have_text("listening")
            rise = wait_for_energy_rise(listener_page, minimum=HEARD, timeout=20)
            assert rise >= HEARD, "after the reconnection bob does not hear the host"

            host_page.click("#end-room")
            expect(listener_page.locator("#connection")).to_have_text("room ended")
        finally:
            browser.close()
    print(f"Janus browser test took {time.monotonic() - started:.1f}s")


def api(base: str, who: dict, method: str, path: str) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {who['access']}"}
    response = httpx.request(method, f"{base}{path}", headers=headers, timeout=30)
    assert response.status_code < 300, response.text


def test_demo_page_retries_get_media_when_room_state_has_none(tmp_path, janus_server):
    """``room_state.media`` is ``null`` when the server could not reach Janus for a stage member;
    the page then asks ``GET /rooms/{id}/media`` again until it answers. Here the host's socket
    passes through Playwright, which nulls ``media`` in ``room_state`` (what the server sends while
    Janus is unreachable); the server, Janus and ``GET /media`` are real."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements-dev.txt")
    expect = sync_api.expect
    env = demo_server_env(tmp_path, **janus_server.as_settings())
    migrate(env)
    nulled = []

    def without_media(message):
        frame = json.loads(message)
        if frame.get("type") == "room_state":
            frame["media"] = None
            nulled.append(frame["room"]["id"])
        return json.dumps(frame)

    def route(ws) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda message: ws.send(without_media(message)))

    with run_server(env, log_path=tmp_path / "server.log") as base, sync_api.sync_playwright() as playwright:
        register(base, "alice")
        browser = launch(playwright)
        try:
            page = new_page(browser)
            page.route_web_socket(re.compile(r"/ws/rooms/\d+/"), route)
            log_in(page, base, "alice")
            page.fill("#create-title", "No media yet")
            page.click("#create-button")
            expect(page.locator("#my-role")).to_have_text("host")
            expect(page.locator("#media-state")).to_have_text("unavailable")
            expect(page.locator("#media-state")).to_have_text("stage", timeout=15_000)
            expect(page.locator("#media-backend")).to_have_text("janus")
            assert nulled, "room_state did not pass through the route"
        finally:
            browser.close()
