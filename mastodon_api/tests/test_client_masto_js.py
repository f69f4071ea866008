"""masto.js under Node against a real server process: REST (verify credentials, follow, post,
paging the home timeline with its async paginator, favourite, instance) and the WebSocket user
stream receiving an update. The npm packages are installed by the test (pinned versions) into
its own folder; Node comes from the machine (.ci/run installs Debian's nodejs and npm if missing)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from mastodon_api.tests.live import PASSWORD, mastodon_server, register

NODE, NPM = shutil.which("node"), shutil.which("npm")
PACKAGES = ["masto@7.12.0", "ws@8.23.0"]  # masto 8 needs Node 22; Debian's is older
SCRIPT = Path(__file__).with_name("masto_client.mjs")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not (NODE and NPM), reason="needs node and npm (.ci/run installs them)"),
]


def _token(base: str, username: str) -> str:
    app = httpx.post(
        f"{base}/api/v1/apps",
        json={"client_name": "masto.js", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write follow"},
        timeout=60,
    ).json()
    response = httpx.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "password",
            "username": username,
            "password": PASSWORD,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "read write follow",
        },
        timeout=60,
    )
    return response.json()["access_token"]


def test_masto_js_rest_and_websocket_streaming(tmp_path):
    project = tmp_path / "node"
    project.mkdir()
    (project / "package.json").write_text('{"name": "masto-test", "private": true, "type": "module"}')
    install = subprocess.run(
        [NPM, "install", "--no-audit", "--no-fund", "--loglevel=error", *PACKAGES],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    shutil.copy(SCRIPT, project / SCRIPT.name)
    with mastodon_server(tmp_path) as base:
        register(base, "ada_js")
        register(base, "bob_js")
        ada, bob = _token(base, "ada_js"), _token(base, "bob_js")
        bob_id = httpx.get(f"{base}/api/v1/accounts/lookup", params={"acct": "bob_js"}, timeout=60).json()["id"]
        run = subprocess.run(
            [NODE, SCRIPT.name, base, ada, bob, bob_id], cwd=project, capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stdout + run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    first, second = seen["posted"]
    assert seen["me"] == "ada_js" and seen["following"] is True
    assert seen["pages"][:2] == [[second], [first]]  # the paginator follows the Link header
    assert seen["version"].startswith("4.2.0 (compatible; twitterclone")
    assert seen["update"]["id"] == seen["live"] and seen["update"]["acct"] == "bob_js"
    assert seen["update"]["content"] == "<p>live from bob</p>"
