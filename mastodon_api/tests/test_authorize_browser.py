"""The OAuth authorize page in real headless Chromium (Playwright driving Debian's chromium, as
rooms/tests/test_demo_browser.py does): sign in, consent, the oob code shown on the page; then a
redirect URI on loopback receives the code and the state. Run it alone with

    .venv/bin/pytest mastodon_api/tests/test_authorize_browser.py -q
"""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from mastodon_api.services import OOB_URI
from mastodon_api.tests.live import PASSWORD, mastodon_server, register
from tests.server import free_port

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium: run scripts/install_chromium.sh"
    ),
]


class Callback(http.server.BaseHTTPRequestHandler):
    """A client app's redirect URI: records what the browser brings back."""

    received: list[str] = []

    def do_GET(self):
        Callback.received.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"signed in")

    def log_message(self, *args):
        pass


def test_sign_in_consent_oob_code_and_redirect_in_chromium(tmp_path):
    from playwright import sync_api

    callback_port = free_port()
    callback_server = http.server.HTTPServer(("127.0.0.1", callback_port), Callback)
    threading.Thread(target=callback_server.serve_forever, daemon=True).start()
    callback_uri = f"http://127.0.0.1:{callback_port}/callback"
    try:
        with mastodon_server(tmp_path) as base, sync_api.sync_playwright() as playwright:
            register(base, "browser_user")
            app = httpx.post(
                f"{base}/api/v1/apps",
                json={"client_name": "Browser App", "redirect_uris": [OOB_URI, callback_uri], "scopes": "read write"},
            ).json()
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = browser.new_context().new_page()
                query = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": OOB_URI}
                page.goto(f"{base}/oauth/authorize?{urlencode({**query, 'scope': 'read write'})}")
                assert page.url.startswith(f"{base}/oauth/login")
                page.fill("#id_login", "browser_user")
                page.fill("#id_password", "wrong-password")
                page.click("button[type=submit]")
                assert "Invalid login or password" in page.inner_text("[role=alert]")
                page.fill("#id_password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_selector("#authorize")
                assert "Authorize Browser App?" in page.inner_text("h1")
                assert "@browser_user" in page.inner_text("main")
                assert page.inner_text("#scopes").count("\n") == 1  # read and write
                page.click("#authorize")
                code = page.inner_text("#code").strip()
                token = httpx.post(
                    f"{base}/oauth/token",
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": OOB_URI,
                        "client_id": app["client_id"],
                        "client_secret": app["client_secret"],
                    },
                ).json()["access_token"]
                me = httpx.get(
                    f"{base}/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
                )
                assert me.json()["username"] == "browser_user"

                # Signed in already: straight to consent, then to the app's redirect URI.
                page.goto(
                    f"{base}/oauth/authorize?{urlencode({**query, 'redirect_uri': callback_uri, 'state': 's-42'})}"
                )
                page.click("#authorize")
                page.wait_for_url(f"{callback_uri}*")
                assert page.inner_text("body") == "signed in"
            finally:
                browser.close()
        (path,) = [p for p in Callback.received if p.startswith("/callback")]  # (the browser also asks for a favicon)
        params = parse_qs(urlsplit(path).query)
        assert urlsplit(path).path == "/callback" and params["state"] == ["s-42"] and params["code"][0]
    finally:
        callback_server.shutdown()
