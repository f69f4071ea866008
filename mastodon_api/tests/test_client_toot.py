"""The toot CLI (a Mastodon command-line client) against a real server process: ``login_cli``,
``whoami``, ``post``, ``timeline`` (home and public), ``instance``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mastodon_api.tests.live import PASSWORD, mastodon_server, register

TOOT = Path(sys.executable).parent / "toot"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not TOOT.exists() and not shutil.which("toot"), reason="toot is in requirements-dev.txt"),
]


def test_toot_logs_in_posts_and_reads_timelines(tmp_path):
    config = tmp_path / "config"

    def toot(*args: str) -> str:
        result = subprocess.run(
            [str(TOOT), *args],
            env={"XDG_CONFIG_HOME": str(config), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    with mastodon_server(tmp_path) as base:
        register(base, "tooter")
        register(base, "friend")
        out = toot("login_cli", "--instance", base, "--email", "tooter@example.com", "--password", PASSWORD)
        assert "Successfully logged in" in out
        saved = json.loads((config / "toot" / "config.json").read_text())
        assert any(app["base_url"] == base for app in saved["apps"].values())
        assert "@tooter" in toot("whoami")
        assert "Toot posted" in toot("post", "hello from toot #cli")
        assert "hello from toot" in toot("timeline", "--once")
        assert "hello from toot" in toot("timeline", "--public", "--once")
        assert "twitterclone" in toot("instance", base)
