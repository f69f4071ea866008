"""A real server for the Mastodon clients' tests (daphne in a subprocess, tests/server.py) and
helpers to act as a user in a browser-less HTTP session."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from django.conf import settings

from tests.server import database_url_for_tests, migrate, run_server

PASSWORD = "correct-horse-battery-staple"


@contextlib.contextmanager
def mastodon_server(tmp_path: Path, **extra: str) -> Iterator[str]:
    """A server on PostgreSQL (the test database) when the tests run on it, else on its own SQLite file."""
    env = {"CELERY_TASK_ALWAYS_EAGER": "true", "MEDIA_ROOT": str(tmp_path / "media"), **extra}
    if settings.IS_POSTGRES:
        env["DATABASE_URL"] = database_url_for_tests()
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'server.sqlite3'}"
        env["REDIS_URL"] = ""
        migrate(env)
    with run_server(env, log_path=tmp_path / "server.log") as base:
        yield base


def register(base: str, username: str) -> str:
    """Creates an account through our own API; returns its JWT access token."""
    response = httpx.post(
        f"{base}/api/v1/auth/register",
        json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return response.json()["access"]


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def consent_in_session(authorize_url: str, username: str, password: str = PASSWORD) -> httpx.Response:
    """Follows an authorize URL as a person would, without a browser: the sign-in page, then the
    consent page's Authorize button. Returns the answer to the consent (the oob page or a redirect)."""
    with httpx.Client(follow_redirects=False, timeout=60) as session:
        page = session.get(authorize_url)
        assert page.status_code == 302, page.text
        login_url = urljoin(authorize_url, page.headers["location"])
        login_page = session.get(login_url)
        next_value = parse_qs(urlsplit(login_url).query)["next"][0]
        signed_in = session.post(
            login_url.split("?")[0],
            data={
                "login": username,
                "password": password,
                "next": next_value,
                "csrfmiddlewaretoken": _csrf(login_page.text),
            },
            headers={"Referer": login_url},
        )
        assert signed_in.status_code == 302, signed_in.text
        consent_url = urljoin(authorize_url, signed_in.headers["location"])
        consent = session.get(consent_url)
        assert consent.status_code == 200, consent.text
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', consent.text))
        fields["allow"] = "Authorize"
        return session.post(consent_url.split("?")[0], data=fields, headers={"Referer": consent_url})


def oob_code(page: httpx.Response) -> str:
    return re.search(r'<code class="oob" id="code">([^<]+)</code>', page.text).group(1)
