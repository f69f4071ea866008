"""The per-request framework work cut for every API view, with the behaviour kept: content
negotiation remembered per Accept header (406 and ``?format=`` unchanged), CORS without building
``request.headers``, the production handlers' middleware chain for API paths, pagination links,
and the serving process's frozen heap."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from twitterclone import middleware, negotiation
from twitterclone.jsoncodec import OrjsonRenderer
from twitterclone.pagination import QueryLink

ROOT = Path(__file__).resolve().parents[2]
FIXED = "/api/v1/test/fixed"


@api_view(["GET"])
@permission_classes([AllowAny])
def fixed(request):
    return Response({"ok": True, "user": str(request._request.user)})


def plain_state(request):
    from django.http import JsonResponse

    return JsonResponse(
        {
            "session": hasattr(request, "session"),
            "messages": hasattr(request, "_messages"),
            "anonymous": request.user.is_anonymous,
        }
    )


from twitterclone.urls import urlpatterns as project_urlpatterns  # noqa: E402

urlpatterns = [
    path(FIXED.lstrip("/"), fixed),
    path("api/v1/test/plain", plain_state),
    path("rooms/test-plain", plain_state),
]
urlpatterns += project_urlpatterns


@pytest.fixture
def test_urls(settings):
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def fresh_negotiation(monkeypatch):
    monkeypatch.setattr(negotiation, "_answers", {})
    return negotiation._answers


# --- Content negotiation ---------------------------------------------------------------------


def test_an_accept_header_the_api_cannot_answer_is_a_406_in_the_envelope(test_urls, client, fresh_negotiation):
    for _ in range(2):  # a refusal is not remembered: the second request is refused too
        response = client.get(FIXED, HTTP_ACCEPT="text/html")
        assert response.status_code == 406
        assert response.json()["error"]["code"] == "not_acceptable"
    assert fresh_negotiation == {}


def test_the_negotiated_answer_is_remembered_per_accept_header(test_urls, client, fresh_negotiation, monkeypatch):
    calls = []
    drf_select = DefaultContentNegotiation.select_renderer

    def counting(self, *args, **kwargs):
        calls.append(1)
        return drf_select(self, *args, **kwargs)

    monkeypatch.setattr(DefaultContentNegotiation, "select_renderer", counting)
    for accept in ("*/*", "*/*", "application/json", "application/json", None, None):
        headers = {} if accept is None else {"HTTP_ACCEPT": accept}
        response = client.get(FIXED, **headers)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.content == b'{"ok":true,"user":"AnonymousUser"}'
    assert len(calls) == 3  # once per distinct header


def test_an_indent_in_the_accept_header_pretty_prints_every_time(test_urls, client, fresh_negotiation):
    for _ in range(2):
        response = client.get(FIXED, HTTP_ACCEPT="application/json; indent=4")
        assert response.status_code == 200
        assert response.content == b'{\n  "ok": true,\n  "user": "AnonymousUser"\n}'
    assert client.get(FIXED, HTTP_ACCEPT="application/json").content == b'{"ok":true,"user":"AnonymousUser"}'


def test_the_answer_depends_on_the_views_renderers(client, fresh_negotiation):
    openapi = "application/vnd.oai.openapi+json"
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT=openapi)
    assert schema.status_code == 200
    assert schema["Content-Type"].startswith(openapi)
    # The same header on a JSON-only view is refused, not answered from the schema view's memo.
    refused = client.get("/api/v1/timeline/home", HTTP_ACCEPT=openapi)
    assert refused.status_code == 406
    assert refused.json()["error"]["code"] == "not_acceptable"


def test_the_format_parameter_is_negotiated_by_drf_every_time(test_urls, client, fresh_negotiation):
    assert client.get(f"{FIXED}?format=json").status_code == 200
    unknown = client.get(f"{FIXED}?format=xml")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert fresh_negotiation == {}


def test_the_memo_is_bounded(test_urls, client, fresh_negotiation, monkeypatch):
    monkeypatch.setattr(negotiation, "HEADERS_KEPT", 3)
    for index in range(10):
        assert client.get(FIXED, HTTP_ACCEPT=f"application/json, text/x-{index}").status_code == 200
        assert len(fresh_negotiation) <= 3
    long_header = "application/json, " + "x" * negotiation.HEADER_LENGTH_KEPT
    fresh_negotiation.clear()
    assert client.get(FIXED, HTTP_ACCEPT=long_header).status_code == 200
    assert fresh_negotiation == {}


def test_the_renderer_still_reads_an_indent_from_its_context():
    assert OrjsonRenderer().render({"a": 1}, "application/json", {"indent": 4}) == b'{\n  "a": 1\n}'
    assert OrjsonRenderer().render({"a": 1}, "application/json", {}) == b'{"a":1}'


# --- CORS -----------------------------------------------------------------------------------------


def test_an_api_request_builds_no_headers_dict(test_urls, client, fresh_negotiation):
    client.get(FIXED, HTTP_ACCEPT="application/json")  # DRF negotiates the first (and builds it)
    response = client.get(FIXED, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "origin" in response["Vary"].lower()
    assert "Access-Control-Allow-Origin" not in response
    # Neither the CORS middleware nor content negotiation built request.headers.
    assert "headers" not in response.wsgi_request.__dict__


def test_an_allowed_origin_gets_the_cors_headers(test_urls, client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    response = client.get(FIXED, HTTP_ORIGIN="https://app.example")
    assert response["Access-Control-Allow-Origin"] == "https://app.example"
    assert "X-RateLimit-Remaining" in response["Access-Control-Expose-Headers"]
    assert "origin" in response["Vary"].lower()
    other = client.get(FIXED, HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other
    assert "origin" in other["Vary"].lower()


def test_pages_outside_the_api_get_no_cors_vary(test_urls, client):
    response = client.get("/rooms/test-plain")
    assert response.status_code == 200
    assert "origin" not in response.get("Vary", "").lower()


# --- The production handlers' chain for API paths ---------------------------------------------------


class ProductionHandler(middleware.ApiMiddlewareChain, WSGIHandler):
    pass


@pytest.fixture
def production_handler(test_urls, settings):
    """A factory of the production handler (its middleware read the settings when it is made)."""
    # As Django's test client does: a test's transaction must not be closed as an "old" connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield ProductionHandler
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _call(handler, environ) -> tuple[int, dict[str, str], bytes]:
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = int(status.split()[0]), dict(headers)

    result = handler(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    return started["status"], started["headers"], body


def test_api_requests_skip_the_browser_middleware_layers(production_handler, monkeypatch):
    passed_on = []
    for browser_only in (middleware.BrowserSessionMiddleware, middleware.BrowserMessageMiddleware):
        original = browser_only.__call__
        monkeypatch.setattr(
            browser_only,
            "__call__",
            lambda self, request, original=original: passed_on.append(1) or original(self, request),
        )
    handler = production_handler()
    status, headers, body = _call(handler, RequestFactory().get("/api/v1/test/plain").environ)
    assert status == 200
    assert json.loads(body) == {"session": False, "messages": False, "anonymous": True}
    assert "Set-Cookie" not in headers
    assert passed_on == []
    # Pages outside the API go through the whole chain.
    status, _, body = _call(handler, RequestFactory().get("/rooms/test-plain").environ)
    assert status == 200
    assert json.loads(body) == {"session": True, "messages": True, "anonymous": True}
    assert len(passed_on) == 2


def test_the_api_chain_keeps_json_errors_and_security_headers(production_handler, settings):
    settings.SECURE_CONTENT_TYPE_NOSNIFF = True
    settings.SECURE_HSTS_SECONDS = 3600
    handler = production_handler()
    status, _, body = _call(handler, RequestFactory().get("/api/v1/no-such-thing").environ)
    assert status == 404
    assert json.loads(body)["error"]["code"] == "not_found"
    status, headers, body = _call(handler, RequestFactory().get(FIXED, secure=True, HTTP_ACCEPT="text/html").environ)
    assert status == 406
    assert json.loads(body)["error"]["code"] == "not_acceptable"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Strict-Transport-Security"].startswith("max-age=3600")
    assert "origin" in headers["Vary"].lower()
    oversized = RequestFactory().post("/api/v1/tweets", b"{}", content_type="application/json").environ
    oversized["CONTENT_LENGTH"] = str(settings.MAX_REQUEST_BODY_BYTES + 1)
    status, _, body = _call(handler, oversized)
    assert status == 413
    assert json.loads(body)["error"]["code"] == "payload_too_large"


def test_the_admin_keeps_sessions_and_csrf_through_the_production_handler(production_handler):
    handler = production_handler()
    status, headers, _ = _call(handler, RequestFactory().get("/admin/login/").environ)
    assert status == 200
    assert "csrftoken" in headers.get("Set-Cookie", "")
    refused = RequestFactory().post("/admin/login/", {"username": "x", "password": "y"}).environ
    assert _call(handler, refused)[0] == 403  # no CSRF token


# --- Pagination links -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://testserver/api/v1/timeline/home",
        "http://testserver/api/v1/timeline/home?",
        "https://example.com:8443/api/v1/users/bob/tweets?page_size=5",
        "http://testserver/x?cursor=old&page_size=3&a=1&a=2&z=%20q+r&b=",
        "http://testserver/x?%63ursor=zz&%C3%A9=%C3%BC&x=a%26b#fragment",
        "http://[::1]:8000/p%20q?zz=1&aa=2&curso=1&cursorx=2&Cursor=3",
    ],
)
@pytest.mark.parametrize("value", ["AAAAAAAAAAAA", "ab-_9Z", "x y&z", "é"])
def test_a_query_link_is_drfs_replace_query_param(url, value):
    assert QueryLink(url, "cursor").with_value(value) == replace_query_param(url, "cursor", value)


# --- The serving process ----------------------------------------------------------------------------


def _serving_state(module: str, debug: bool) -> dict:
    script = (
        f"import gc, json, {module}\n"
        "from django.core.signals import request_started\n"
        "from django.db import close_old_connections, reset_queries\n"
        "receivers = [receiver() for _, receiver, _ in request_started.receivers]\n"
        "print(json.dumps({'frozen': gc.get_freeze_count(), 'reset_queries': reset_queries in receivers,"
        " 'close_old_connections': close_old_connections in receivers}))\n"
    )
    env = {
        **os.environ,
        "DEBUG": "true" if debug else "false",
        "SECRET_KEY": "serving-test-" + "k" * 50,
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "ERROR",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["twitterclone.wsgi", "twitterclone.asgi"])
def test_the_serving_process_freezes_the_loaded_heap(module):
    state = _serving_state(module, debug=False)
    assert state["frozen"] > 50_000  # Django, the apps and the URLconf
    assert state == {**state, "reset_queries": False, "close_old_connections": True}


def test_debug_keeps_the_query_log_reset():
    assert _serving_state("twitterclone.wsgi", debug=True)["reset_queries"] is True
