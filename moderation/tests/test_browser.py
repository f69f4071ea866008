"""End to end in a real browser: a moderator logs into the admin, opens the report queue and
suspends a reported user; then the API refuses that user's login.

Real processes throughout: a daphne server on a migrated temporary SQLite file, the
``create_moderator`` management command, and Debian's headless Chromium at /usr/bin/chromium
(``scripts/install_chromium.sh``) driven by Playwright through ``executable_path`` (never
``playwright install``). Run it alone with ``.venv/bin/pytest moderation/tests/test_browser.py -q -s``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.server import ROOT, base_env, migrate, run_server

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct-horse-battery-staple"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium: run scripts/install_chromium.sh"
    ),
]


def register(base: str, username: str) -> str:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    response = httpx.post(f"{base}/api/v1/auth/register", json=body, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["access"]


def login(base: str, username: str) -> httpx.Response:
    return httpx.post(f"{base}/api/v1/auth/login", json={"login": username, "password": PASSWORD}, timeout=10)


def test_moderator_suspends_a_reported_user_from_the_queue_in_a_real_browser(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements-dev.txt")
    started = time.monotonic()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'moderation.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    migrate(env)
    with run_server(env, log_path=tmp_path / "server.log") as base, sync_api.sync_playwright() as playwright:
        reporter_access = register(base, "alice")
        spammer_access = register(base, "spammer")
        register(base, "mod")
        subprocess.run(
            [sys.executable, "manage.py", "create_moderator", "mod"], cwd=ROOT, env=base_env(**env), check=True
        )
        report = httpx.post(
            f"{base}/api/v1/reports",
            json={"user": "spammer", "category": "spam", "comment": "sends me links all day"},
            headers={"Authorization": f"Bearer {reporter_access}"},
            timeout=10,
        )
        assert report.status_code == 201, report.text
        tweet = httpx.post(
            f"{base}/api/v1/tweets",
            json={"text": "cheap followers at example.com"},
            headers={"Authorization": f"Bearer {spammer_access}"},
            timeout=10,
        ).json()
        tweet_report = httpx.post(
            f"{base}/api/v1/reports",
            json={"tweet": tweet["id"], "category": "spam"},
            headers={"Authorization": f"Bearer {reporter_access}"},
            timeout=10,
        )
        assert tweet_report.status_code == 201, tweet_report.text
        assert login(base, "spammer").status_code == 200

        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(20_000)
            page.goto(f"{base}/admin/login/")
            page.fill("#id_username", "mod")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            sync_api.expect(page.locator("#user-tools")).to_contain_text("mod")

            page.click("a[href='/admin/moderation/report/']")
            # One click hides the reported tweet (the button posts the changelist's own form).
            tweet_row = page.locator("#result_list tbody tr").filter(has_text="cheap followers")
            tweet_row.locator("button[data-report-action='hide']").click()
            sync_api.expect(page.locator("ul.messagelist")).to_contain_text(f"Tweet {tweet['id']} hidden.")
            sync_api.expect(page.locator("#result_list tbody tr").filter(has_text="cheap followers")).to_have_count(0)
            row = page.locator("#result_list tbody tr").filter(has_text="@spammer")
            sync_api.expect(row).to_have_count(1)
            sync_api.expect(row).to_contain_text("sends me links all day")

            row.locator("a[data-report-action='suspend']").click()
            sync_api.expect(page.locator("#report-act-form")).to_be_visible()
            page.fill("textarea[name=reason]", "Spam links, report from alice")
            page.click("input[name=_confirm]")
            sync_api.expect(page.locator("ul.messagelist")).to_contain_text("@spammer suspended.")
            # The queue shows open reports only: this one is resolved now.
            sync_api.expect(page.locator("#result_list tbody tr").filter(has_text="@spammer")).to_have_count(0)
        finally:
            browser.close()

        refused = login(base, "spammer")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "account_suspended"
        assert login(base, "alice").status_code == 200
        assert httpx.get(f"{base}/api/v1/tweets/{tweet['id']}", timeout=10).status_code == 404
    print(f"\nbrowser moderation test took {time.monotonic() - started:.1f} s")
