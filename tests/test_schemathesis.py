"""The API under schemathesis: every operation of the server's own OpenAPI schema, authenticated,
through the examples, coverage, fuzzing and stateful phases, with every check schemathesis has
(`--checks all`): no 5xx; every response matches the schema (status code, content type, headers,
body); whatever the schema allows is accepted and whatever it forbids is refused; missing auth is
a 401; deleted resources are gone. The only exceptions are in ``schemathesis.toml``, each with its
reason: positive-data acceptance is off for the operations whose refusals are business rules."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from tests.server import ROOT, database_url_for_tests, migrate, run_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CONFIG = ROOT / "schemathesis.toml"
# Operations whose "schema-valid request rejected" is a business rule, as schemathesis.toml lists
# them (method None: every method of the path).
BUSINESS_RULE_OPERATIONS = {
    ("/api/v1/auth/logout", None),
    ("/api/v1/auth/token/refresh", None),
    ("/api/v1/auth/password/reset/confirm", None),
    ("/api/v1/auth/password/change", None),
    ("/api/v1/auth/register", None),
    ("/api/v1/rooms", "POST"),
    ("/api/v1/rooms/{id}", "PATCH"),
    ("/api/v1/users/{username}/follow", "POST"),
    ("/api/v1/users/{username}/block", "POST"),
    ("/api/v1/users/{username}/mute", "POST"),
    ("/api/v1/apps", None),
    ("/oauth/token", None),
    ("/oauth/revoke", None),
    ("/api/v1/accounts/update_credentials", None),
    (r"^/api/v1/accounts/\{account_id\}/(follow|block|mute)$", None),
}
# Operations left out of the run (not JSON over plain HTTP: a WebSocket, event streams, browser pages).
EXCLUDED_OPERATIONS = {"/api/v1/streaming", "^/api/v1/streaming/", "/oauth/authorize", "/oauth/login"}
# The paths both APIs serve, where a parameter of one API is ignored by the other.
SHARED_PATH_OPERATIONS = {
    ("/api/v1/notifications", "GET"),
    ("/api/v1/notifications/unread_count", "GET"),
    ("/api/v1/bookmarks", "GET"),
}
NEGATIVE_REJECTION_STATUSES = [
    "400",
    "401",
    "403",
    "404",
    "405",
    "406",
    "409",
    "413",
    "414",
    "415",
    "422",
    "428",
    "429",
]
PHASES = "examples,coverage,fuzzing,stateful"


def _server_env(tmp_path: Path) -> dict[str, str]:
    env = {
        "ACCESS_TOKEN_LIFETIME_SECONDS": "3600",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "CELERY_TASK_ALWAYS_EAGER": "true",
        # Fuzzing sends thousands of requests from one user and IP: raise the limits, keep them on.
        "RATE_LIMIT_API": "1000000/5m",
        "RATE_LIMIT_POST": "1000000/5m",
        "RATE_LIMIT_DELETE": "1000000/5m",
        "RATE_LIMIT_FOLLOW": "1000000/5m",
        "RATE_LIMIT_REPORT": "1000000/5m",
        "RATE_LIMIT_REGISTER_IP": "1000000/5m",
        "RATE_LIMIT_LOGIN_IP": "1000000/5m",
        "RATE_LIMIT_LOGIN_NAME": "1000000/5m",
        "RATE_LIMIT_REFRESH_IP": "1000000/5m",
        "RATE_LIMIT_PASSWORD_RESET_IP": "1000000/5m",
        "RATE_LIMIT_PASSWORD_RESET_EMAIL": "1000000/5m",
        "RATE_LIMIT_PASSWORD_RESET_CONFIRM_IP": "1000000/5m",
        "RATE_LIMIT_PASSWORD_RESET_CONFIRM_EMAIL": "1000000/5m",
        "RATE_LIMIT_OAUTH_TOKEN_IP": "1000000/5m",
        "RATE_LIMIT_OAUTH_LOGIN_NAME": "1000000/5m",
    }
    if settings.IS_POSTGRES:
        env["DATABASE_URL"] = database_url_for_tests()
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fuzz.sqlite3'}"
        env["REDIS_URL"] = ""
        migrate(env)
    return env


def test_schemathesis_config_runs_every_check_but_the_listed_exceptions():
    config = tomllib.loads(CONFIG.read_text())
    # Nothing switched off for every operation ("--checks all"); rejections may also be 413/414.
    assert config["checks"] == {"negative_data_rejection": {"expected-statuses": NEGATIVE_REJECTION_STATUSES}}
    exceptions, excluded = {}, set()
    for operation in config["operations"]:
        path = operation.get("include-path") or operation.get("include-path-regex")
        if operation.get("enabled") is False:
            assert set(operation) - {"include-path", "include-path-regex"} == {"enabled"}, operation
            excluded.add(path)
            continue
        assert set(operation) - {"include-method", "include-path", "include-path-regex"} == {"checks"}, operation
        exceptions[(path, operation.get("include-method"))] = operation["checks"]
    off = {"positive_data_acceptance": {"enabled": False}}
    negative_off = {"negative_data_rejection": {"enabled": False}}
    assert exceptions == {
        **dict.fromkeys(BUSINESS_RULE_OPERATIONS, off),
        **dict.fromkeys(SHARED_PATH_OPERATIONS, negative_off),
    }
    assert excluded == EXCLUDED_OPERATIONS


def _seed_over_http(base: str) -> dict[str, str]:
    """Two users who follow each other, with a few tweets, so ids in the schema's examples resolve,
    and a Mastodon client app, whose credentials the config's password grant uses (the
    environment variables for ``st``)."""
    tokens = []
    for name in ("fuzzer", "fuzzfriend"):
        response = httpx.post(
            f"{base}/api/v1/auth/register",
            json={"username": name, "email": f"{name}@example.com", "password": "correct-horse-battery-staple"},
        )
        assert response.status_code == 201, response.text
        tokens.append(response.json()["access"])
    for token, other in ((tokens[0], "fuzzfriend"), (tokens[1], "fuzzer")):
        headers = {"Authorization": f"Bearer {token}"}
        httpx.post(f"{base}/api/v1/users/{other}/follow", headers=headers)
        for text in ("hello #fuzz", "second tweet @fuzzer"):
            httpx.post(f"{base}/api/v1/tweets", json={"text": text}, headers=headers)
    app = httpx.post(
        f"{base}/api/v1/apps",
        json={
            "client_name": "schemathesis",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write follow push",
        },
    )
    assert app.status_code == 200, app.text
    return {
        "SCHEMATHESIS_LOGIN": "fuzzer",
        "SCHEMATHESIS_PASSWORD": "correct-horse-battery-staple",
        "SCHEMATHESIS_MASTODON_CLIENT_ID": app.json()["client_id"],
        "SCHEMATHESIS_MASTODON_CLIENT_SECRET": app.json()["client_secret"],
    }


@pytest.mark.timeout(1800)
def test_api_conforms_to_its_schema_under_fuzzing(tmp_path):
    env = _server_env(tmp_path)
    with run_server(env, log_path=tmp_path / "server.log") as base:
        credentials = _seed_over_http(base)
        command = [
            str(Path(sys.executable).parent / "st"),
            "--config-file",
            str(CONFIG),
            "run",
            f"{base}/api/v1/schema/",
            "--url",
            base,
            # No --checks: every check is on by default; naming them on the command line would
            # override the per-operation exceptions of the config file. No --header either: the
            # config logs the fuzzer in (again after a 401, e.g. once it has called logout_all).
            "--phases",
            PHASES,
            "--max-examples",
            # 15 examples per operation and phase: with every check on, about 4,000 requests.
            os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"),
            "--seed",
            "1",
            "--request-timeout",
            "20",
            # One worker: with two, Hypothesis parses lambda sources in two threads at once, and
            # CPython 3.11's ast module is not thread-safe ("AST constructor recursion depth
            # mismatch", a Runtime Error in the run). The server is the bottleneck on 2 cores anyway.
            "--workers",
            "1",
            "--max-failures",
            "50",
            "--no-color",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path / "report"),
            # A part of the API only, while working on it: e.g. SCHEMATHESIS_ARGS="--include-tag mastodon".
            *os.environ.get("SCHEMATHESIS_ARGS", "").split(),
        ]
        environ = dict(os.environ, **credentials)
        result = subprocess.run(command, capture_output=True, text=True, timeout=1500, check=False, env=environ)
    output = result.stdout + result.stderr
    print(output[-20000:])
    server_log = (tmp_path / "server.log").read_text(errors="replace")
    assert result.returncode == 0, output[-15000:] + "\n--- server log ---\n" + server_log[-5000:]
