import json
import logging
import subprocess
import sys

import pytest
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from twitterclone.errors import Conflict
from twitterclone.logging import JsonFormatter, RedactSecretsFilter

pytestmark = pytest.mark.django_db


@api_view(["GET"])
@permission_classes([AllowAny])
def boom(request):
    raise RuntimeError("secret internals")


@api_view(["GET"])
@permission_classes([AllowAny])
def conflict(request):
    raise Conflict("Taken.", code="taken", fields={"username": ["Taken."]})


from twitterclone.urls import urlpatterns as project_urlpatterns  # noqa: E402

urlpatterns = [
    path("api/v1/test/boom", boom),
    path("api/v1/test/conflict", conflict),
    *project_urlpatterns,
]
handler404 = "twitterclone.views.json_not_found"
handler500 = "twitterclone.views.json_server_error"


@pytest.fixture
def test_urls(settings):
    settings.ROOT_URLCONF = __name__


def test_unexpected_exception_is_json_500_without_details(test_urls, client):
    client.raise_request_exception = False
    response = client.get("/api/v1/test/boom")
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "server_error", "message": "An internal error occurred."}}
    assert b"secret internals" not in response.content


def test_domain_error_maps_to_its_status_and_fields(test_urls, client):
    response = client.get("/api/v1/test/conflict")
    assert response.status_code == 409
    assert response.json() == {"error": {"code": "taken", "message": "Taken.", "fields": {"username": ["Taken."]}}}


def test_unknown_api_url_is_json_404(client):
    response = client.get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_is_json_405(client):
    response = client.get("/api/v1/auth/login")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_invalid_content_length_is_400(client):
    response = client.post("/api/v1/auth/login", data=b"{}", content_type="application/json", CONTENT_LENGTH="abc")
    assert response.status_code == 400


def test_overlong_query_string_is_rejected(client):
    response = client.get("/api/v1/users?q=" + "a" * 5000)
    assert response.status_code == 414
    assert response.json()["error"]["code"] == "uri_too_long"


def test_healthz_ok(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "not_configured"}


def test_healthz_reports_redis_down_as_503(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"] == "unavailable"


@pytest.mark.redis
def test_healthz_with_real_redis(client):
    body = client.get("/healthz").json()
    assert body["redis"] == "ok"


def test_schema_is_served_and_lists_the_account_paths(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    for p in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/token/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/password/change",
        "/api/v1/auth/password/reset",
        "/api/v1/auth/password/reset/confirm",
        "/api/v1/users/me",
        "/api/v1/users/{username}",
        "/api/v1/users",
    ]:
        assert p in schema["paths"], p


def test_docs_page_is_served(client):
    assert client.get("/api/v1/docs/").status_code == 200


def test_logs_redact_tokens_passwords_and_codes():
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "login %s password=hunter22 code=123456 Authorization: Bearer abc.def.ghi",
        ("eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.sig",),
        None,
    )
    RedactSecretsFilter().filter(record)
    line = JsonFormatter().format(record)
    payload = json.loads(line)
    for secret in ("hunter22", "123456", "abc.def.ghi", "eyJhbGciOiJIUzI1NiJ9"):
        assert secret not in line
    assert payload["level"] == "INFO"


def test_production_settings_pass_check_deploy():
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "k" * 30 + "-a-long-random-production-secret-value-0123456789",
        "ALLOWED_HOSTS": "api.example.com",
        "DATABASE_URL": "sqlite:////tmp/deploycheck.sqlite3",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
