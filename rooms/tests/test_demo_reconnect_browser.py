"""The demo page reconnects its room socket after a drop, in real headless Chromium (peer to
peer): the listener's socket goes through Playwright, which drops it (close 1012, "service
restart", on both sides); the page opens a new socket after its backoff, takes the fresh
``room_state`` and keeps its peer connection to the host (the mesh does not go through the
socket), still receiving audio; room events reach it on the new socket (a promotion). A final
close (4403, not allowed to join) is not retried. Run it alone with

    .venv/bin/pytest rooms/tests/test_demo_reconnect_browser.py -q
"""

from __future__ import annotations

import re
import time

import pytest

from rooms.tests import test_demo_browser  # its ICE filter (importing the module, not its test)
from tests.browser import CHROMIUM, CHROMIUM_MISSING, demo_server_env, inbound, launch, log_in, new_page
from tests.server import migrate, register, run_server

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING)]

RECONNECTS = "window.demo.session.reconnects"


def packets(page) -> int:
    return sum(report["packetsReceived"] for report in inbound(page))


def wait_for_packets(page, above: int, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = packets(page)
        if count > above:
            return count
        time.sleep(0.3)
    return packets(page)


def test_the_page_reconnects_its_room_socket_after_a_drop_and_resumes(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements-dev.txt")
    expect = sync_api.expect
    env = demo_server_env(tmp_path)
    migrate(env)
    routes = []  # (page side, server side) of each room socket of the listener's page

    def route(ws) -> None:
        routes.append((ws, ws.connect_to_server()))

    with run_server(env, log_path=tmp_path / "server.log") as base, sync_api.sync_playwright() as playwright:
        register(base, "alice")
        register(base, "bob")
        browser = launch(playwright)
        try:
            host_page, listener_page = (
                new_page(browser, init_script=test_demo_browser.LOOPBACK_ONLY_ICE) for _ in range(2)
            )
            listener_page.route_web_socket(re.compile(r"/ws/rooms/\d+/"), route)
            log_in(host_page, base, "alice")
            host_page.fill("#create-title", "Reconnecting room")
            host_page.click("#create-button")
            expect(host_page.locator("#my-role")).to_have_text("host")
            room_id = host_page.locator("#room-id").inner_text()
            log_in(listener_page, base, "bob")
            listener_page.fill("#join-id", room_id)
            listener_page.click("#join-button")
            expect(listener_page.locator("#my-role")).to_have_text("listener")
            expect(listener_page.locator("#connection")).to_have_text("connected")
            host_page.click("#unmute")
            status = listener_page.locator("#audio-status")
            expect(status).to_have_text("incoming audio track from @alice")
            assert wait_for_packets(listener_page, 20) > 20, "the listener receives nothing"
            assert len(routes) == 1

            # The socket drops (both sides): the page reconnects after its backoff (about 1 s).
            page_side, server_side = routes[0]
            server_side.close(code=1012, reason="restart")
            page_side.close(code=1012, reason="restart")
            listener_page.wait_for_function(f"{RECONNECTS} === 1", timeout=20_000)
            expect(listener_page.locator("#connection")).to_have_text("connected")
            assert len(routes) == 2
            expect(listener_page.locator("#my-role")).to_have_text("listener")
            # The mesh kept its connection: the same incoming track, audio still arriving.
            assert status.get_attribute("data-incoming-tracks") == "1"
            before = packets(listener_page)
            assert wait_for_packets(listener_page, before + 20) > before + 20, "no audio after the reconnection"
            # Room events arrive on the new socket.
            bob = host_page.locator('#participants li[data-role="listener"]', has_text="@bob")
            bob.get_by_role("button", name="Make speaker").click()
            expect(listener_page.locator("#my-role")).to_have_text("speaker")

            # A final close is not retried.
            page_side, server_side = routes[1]
            server_side.close(code=4403, reason="not allowed")
            page_side.close(code=4403, reason="not allowed")
            expect(listener_page.locator("#connection")).to_have_text("disconnected: not allowed to join")
            time.sleep(3)
            assert len(routes) == 2 and listener_page.evaluate(RECONNECTS) == 1
        finally:
            browser.close()
