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


def test_healthz_is_liveness_and_touches_no_dependency(client, settings, django_assert_num_queries):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_ok_on_embedded_defaults(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "not_configured"}


def test_readyz_is_degraded_but_200_when_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "redis": "unavailable"}


@pytest.mark.redis
def test_readyz_with_real_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_when_the_database_is_unreachable(client, settings):
    """A real refused connection (the server's port pointed at a closed one): 503, liveness still 200."""
    from django.db import connection

    settings.REDIS_URL = ""
    connection.close()
    real_port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = "1"
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "database": "unavailable", "redis": "not_configured"}
        assert client.get("/healthz").status_code == 200
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port
    assert client.get("/readyz").status_code == 200


def test_api_root_names_the_api_and_links_to_where_to_start(client, settings):
    response = client.get("/api/v1/", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "twitterclone"
    assert body["version"] == settings.SPECTACULAR_SETTINGS["VERSION"]
    links = body["links"]
    assert links == {
        "docs": "http://testserver/api/v1/docs/",
        "schema": "http://testserver/api/v1/schema/",
        "health": "http://testserver/healthz",
        "readiness": "http://testserver/readyz",
        "register": "http://testserver/api/v1/auth/register",
        "login": "http://testserver/api/v1/auth/login",
    }
    for name in ("docs", "schema", "health", "readiness"):
        assert client.get(links[name]).status_code == 200, name
    for name in ("register", "login"):
        assert client.get(links[name]).status_code == 405, name  # POST endpoints


def test_landing_page_is_plain_html_with_links(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for href in ('href="/api/v1/"', 'href="/api/v1/docs/"', 'href="/healthz"', 'href="/readyz"', 'href="/admin/"'):
        assert href in html
    assert "Page not found" not in html


def test_schema_documents_the_root_and_the_probes(client):
    schema = json.loads(client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    assert set(schema["paths"]["/api/v1/"]["get"]["responses"]) == {"200", "405", "414", "429"}
    # The probes take no token and are not rate-limited: no 401 or 429 documented.
    assert set(schema["paths"]["/healthz"]["get"]["responses"]) == {"200", "405", "414"}
    assert set(schema["paths"]["/readyz"]["get"]["responses"]) == {"200", "405", "414", "503"}
    assert schema["paths"]["/readyz"]["get"]["responses"]["503"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Readiness"
    }


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


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/users/me", "/api/v1/nothing"])
def test_disallowed_host_on_api_path_is_json_400_in_production(client, settings, path):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["api.example.com"]
    client.raise_request_exception = False
    response = client.get(path, HTTP_HOST="evil.example.net")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "bad_request"


def test_disallowed_host_outside_the_api_keeps_django_page(client, settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["api.example.com"]
    client.raise_request_exception = False
    response = client.get("/admin/login/", HTTP_HOST="evil.example.net")
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")
