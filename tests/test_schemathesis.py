"""The API under schemathesis: every operation of the server's own OpenAPI schema, authenticated,
through the examples, coverage, fuzzing and stateful phases. Pass: no 5xx, and every response
matches the schema (status code, content type, body)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from tests.server import database_url_for_tests, migrate, run_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
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
    }
    if settings.IS_POSTGRES:
        env["DATABASE_URL"] = database_url_for_tests()
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fuzz.sqlite3'}"
        env["REDIS_URL"] = ""
        migrate(env)
    return env


def _seed_over_http(base: str) -> str:
    """Two users who follow each other, with a few tweets, so ids in the schema's examples resolve."""
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
    return tokens[0]


def test_api_conforms_to_its_schema_under_fuzzing(tmp_path):
    env = _server_env(tmp_path)
    with run_server(env, log_path=tmp_path / "server.log") as base:
        token = _seed_over_http(base)
        command = [
            str(Path(sys.executable).parent / "st"),
            "run",
            f"{base}/api/v1/schema/",
            "--url",
            base,
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            "--phases",
            PHASES,
            "--max-examples",
            os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"),
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
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    output = result.stdout + result.stderr
    print(output[-20000:])
    server_log = (tmp_path / "server.log").read_text(errors="replace")
    assert result.returncode == 0, output[-15000:] + "\n--- server log ---\n" + server_log[-5000:]
