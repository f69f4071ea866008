"""The JSON errors of JsonErrorMiddleware (unknown path 404, 405, 413, 414, a crash's 500) carry
the security headers and, for an allowed Origin, the CORS headers a DRF view's response gets: a
browser can read them cross-origin, and they are never sniffed. Through the test client's chain
and the production handlers' chain for API paths (ApiMiddlewareChain)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpResponse, HttpResponseNotFound
from django.test import RequestFactory
from django.urls import path
from django.views.decorators.http import require_GET

from twitterclone import middleware

pytestmark = pytest.mark.django_db

ORIGIN = "https://app.example"


def crash(request):
    raise RuntimeError("secret internals")


@require_GET
def get_only(request):
    return HttpResponse("plain")


def plain_not_found(request):
    return HttpResponseNotFound("plain")


from twitterclone.urls import urlpatterns as project_urlpatterns  # noqa: E402

# Plain Django views (not DRF): their 404, 405 and crash are JsonErrorMiddleware's to answer.
urlpatterns = [
    path("api/v1/test/plain-crash", crash),
    path("api/v1/test/plain-get", get_only),
    path("api/v1/test/plain-missing", plain_not_found),
    *project_urlpatterns,
]
handler404 = "twitterclone.views.json_not_found"
handler500 = "twitterclone.views.json_server_error"


class ProductionHandler(middleware.ApiMiddlewareChain, WSGIHandler):
    pass


@pytest.fixture
def headers_settings(settings):
    settings.ROOT_URLCONF = __name__
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    settings.SECURE_HSTS_SECONDS = 3600
    settings.MAX_REQUEST_BODY_BYTES = 1000


def _requests():
    """(status, code, request) for each error JsonErrorMiddleware produces."""
    factory = RequestFactory(headers={"Origin": ORIGIN})
    big = factory.post("/api/v1/auth/login", data=b"x" * 2000, content_type="application/json", secure=True)
    big.META["wsgi.input"] = io.BytesIO(b"x" * 2000)
    return [
        (404, "not_found", factory.get("/api/v1/test/plain-missing", secure=True)),
        (405, "method_not_allowed", factory.generic("PATCH", "/api/v1/test/plain-get", secure=True)),
        (413, "payload_too_large", big),
        (414, "uri_too_long", factory.get("/api/v1/", {"q": "a" * 5000}, secure=True)),
        (500, "server_error", factory.get("/api/v1/test/plain-crash", secure=True)),
    ]


def _assert_headers(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert json.loads(response.content)["error"]["code"] == code
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Strict-Transport-Security"].startswith("max-age=3600")
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "origin" in response["Vary"].lower()


@pytest.mark.parametrize("index", range(5), ids=["404", "405", "413", "414", "500"])
@pytest.mark.parametrize("handler_class", [WSGIHandler, ProductionHandler], ids=["full", "api_chain"])
def test_json_errors_carry_security_and_cors_headers(headers_settings, handler_class, index):
    status, code, request = _requests()[index]
    handler = handler_class()
    handler.load_middleware()
    response = handler.get_response(request)
    _assert_headers(response, status, code)
    assert b"secret internals" not in response.content
    assert b"plain" not in response.content


def test_json_errors_without_origin_still_vary_on_it(headers_settings, client):
    response = client.get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "origin" in response["Vary"].lower()
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize("handler_class", [WSGIHandler, ProductionHandler], ids=["full", "api_chain"])
def test_a_crash_in_inner_middleware_is_a_json_500_with_the_headers(headers_settings, handler_class, monkeypatch):
    from twitterclone.ratelimit import RateLimitMiddleware

    def crashing(self, request):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(RateLimitMiddleware, "__call__", crashing)
    handler = handler_class()
    handler.load_middleware()
    request = RequestFactory(headers={"Origin": ORIGIN}).get("/api/v1/", secure=True)
    response = handler.get_response(request)  # handler500 (twitterclone.views.json_server_error)
    _assert_headers(response, 500, "server_error")
    assert b"secret internals" not in response.content
