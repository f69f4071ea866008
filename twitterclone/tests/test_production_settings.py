"""Production settings refuse what would be unsafe in front of real users (docs/deployment.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from twitterclone.settings.core import _DEV_SECRET_KEY


def start(code: str = "print('started')", **env: str) -> subprocess.CompletedProcess:
    """Loads the settings in a fresh interpreter, as a server process would, then runs ``code``."""
    base = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite:////tmp/settingscheck.sqlite3"}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        capture_output=True,
        text=True,
        env=base | {"DJANGO_SETTINGS_MODULE": "twitterclone.settings"} | env,
        check=False,
    )


@pytest.mark.parametrize("key", [_DEV_SECRET_KEY, "django-insecure-" + "k" * 50])
def test_production_refuses_to_start_with_the_public_development_key(key):
    result = start(DEBUG="false", SECRET_KEY=key)
    assert result.returncode != 0
    assert "SECRET_KEY is the public development key" in result.stderr


def test_production_refuses_to_start_without_a_key():
    result = start(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_starts_with_a_key_of_its_own_and_development_with_none():
    assert start(DEBUG="false", SECRET_KEY="k" * 30 + "-a-long-random-production-secret").stdout == "started\n"
    assert start(DEBUG="true").stdout == "started\n"


def test_x_forwarded_proto_is_trusted_only_behind_a_proxy():
    """Without a proxy the header is the client's own: any client could pass for HTTPS."""
    show = "print(settings.SECURE_PROXY_SSL_HEADER)"
    production = {"DEBUG": "false", "SECRET_KEY": "k" * 30 + "-a-long-random-production-secret"}
    assert start(show, **production, TRUSTED_PROXY_COUNT="1").stdout == "('HTTP_X_FORWARDED_PROTO', 'https')\n"
    assert start(show, **production, TRUSTED_PROXY_COUNT="0").stdout == "None\n"
    assert start(show, **production).stdout == "None\n"


def test_hsts_subdomains_and_preload_can_be_turned_off():
    show = "print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD)"
    production = {"DEBUG": "false", "SECRET_KEY": "k" * 30 + "-a-long-random-production-secret"}
    assert start(show, **production).stdout == "31536000 True True\n"
    off = {"SECURE_HSTS_SECONDS": "300", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "false", "SECURE_HSTS_PRELOAD": "false"}
    assert start(show, **production, **off).stdout == "300 False False\n"
