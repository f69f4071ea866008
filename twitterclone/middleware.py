"""HTTP middleware: body-size limit, JSON errors for API paths outside DRF views, CORS, and the
browser-only middleware (sessions, CSRF, messages) that API paths skip; ``ApiMiddlewareChain``
lets the production entry points leave the browser-only middleware out of API requests altogether."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable

from corsheaders.middleware import CorsMiddleware as BaseCorsMiddleware
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.cache import patch_vary_headers
from django_otp.middleware import OTPMiddleware

from .errors import error_json_response

logger = logging.getLogger("twitterclone.errors")

API_PREFIXES = ("/api/", "/healthz", "/readyz", "/ws/")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


class JsonErrorMiddleware:
    """Refuses oversized bodies with 413 before they are read, and answers API paths in JSON
    when Django itself (not a DRF view) produces an error: unknown URL, wrong method, crash."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_json_response(400, "invalid", "Invalid Content-Length header.", request=request)
        if length > settings.MAX_REQUEST_BODY_BYTES:
            return error_json_response(413, "payload_too_large", "The request body is too large.", request=request)
        if len(request.META.get("QUERY_STRING", "")) > 4096:
            response = error_json_response(414, "uri_too_long", "The query string is too long.", request=request)
        else:
            response = self.get_response(request)
        if length:
            _drain_unread_body(request)
        if response.status_code in (404, 405) and not _is_json(response) and _answers_json(request):
            if response.status_code == 404:
                return error_json_response(404, "not_found", "Not found.", request=request)
            allow = {"Allow": response["Allow"]} if response.has_header("Allow") else {}
            return error_json_response(405, "method_not_allowed", "Method not allowed.", request=request, headers=allow)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request.path):
            return None
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.warning("database unavailable: %s", type(exception).__name__)
            return error_json_response(
                503,
                "database_unavailable",
                "The database is unavailable; try again shortly.",
                headers={"Retry-After": "5"},
                request=request,
            )
        logger.exception("unhandled exception on %s", request.path)
        response = error_json_response(500, "server_error", "An internal error occurred.", request=request)
        response._has_been_logged = True  # logged above, with the traceback: django.request need not
        return response


def _drain_unread_body(request: HttpRequest) -> None:
    """Reads what is left of a body within the limit that the view did not read (a 401, 403 or
    404 answered before parsing it). granian closes a connection whose body is left unread, and
    nginx, still sending that body, took the close for a failed server: a 502 for the client and,
    with ``max_fails=1``, the server out of rotation. The stream stops at Content-Length."""
    try:
        while request.read(65536):
            pass
    except OSError:  # the client went away (UnreadablePostError): nothing left to keep in step
        pass


def _answers_json(request: HttpRequest) -> bool:
    """API paths, and the Mastodon API's JSON documents outside /api/ (nodeinfo, OAuth metadata)."""
    if is_api_path(request.path):
        return True
    from mastodon_api.urls import speaks_mastodon

    return request.path.startswith(("/.well-known/", "/nodeinfo/")) and speaks_mastodon(request)


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


class CorsMiddleware(BaseCorsMiddleware):
    """django-cors-headers' middleware, which reads the Origin through ``request.headers``: a dict
    of every header, built on first use for that one lookup, a twentieth of the CPU of a small API
    response. A request without an Origin (every request that is not a browser's cross-origin
    one) only gets ``Vary: Origin`` where CORS applies, as the base class gives it."""

    def add_response_headers(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if request.META.get("HTTP_ORIGIN"):
            return super().add_response_headers(request, response)
        enabled = getattr(request, "_cors_enabled", None)
        if enabled if enabled is not None else self.is_enabled(request):
            patch_vary_headers(response, ("origin",))
        return response


# Set while ApiMiddlewareChain loads the chain for API paths: the browser-only middleware opt out.
_loading_api_chain = contextvars.ContextVar("loading_api_chain", default=False)


class ApiMiddlewareChain(BaseHandler):
    """A request handler (mixin) with a second middleware chain for API paths, without the
    browser-only middleware (``_skipped_for_api``) that would only pass an API request on, at
    the cost of a layer of calls each (BrowserAuthenticationMiddleware stays: it makes the
    request anonymous until DRF authenticates it). The chain is Django's own, loaded again with those
    middleware refusing to load (``MiddlewareNotUsed``); the view, template-response and
    exception middleware lists stay the full chain's (the browser-only ones' ``process_view``
    returns None on API paths)."""

    def load_middleware(self, is_async: bool = False) -> None:
        token = _loading_api_chain.set(True)
        try:
            super().load_middleware(is_async)
            api_chain = self._middleware_chain
        finally:
            _loading_api_chain.reset(token)
        super().load_middleware(is_async)
        full_chain = self._middleware_chain

        def chain(request: HttpRequest):
            return api_chain(request) if is_api_path(request.path) else full_chain(request)

        self._middleware_chain = chain


def _skipped_for_api(base: type) -> type:
    """``base`` (a Django middleware) that does nothing on API paths.

    The API authenticates with Bearer tokens and keeps no browser state, so sessions, CSRF and
    messages are work for nothing there (and would set cookies); the admin and the HTML pages keep
    them. Subclasses, so Django's system checks still find the middleware the admin needs.
    """

    class SkippedForApi(base):
        # Whether ApiMiddlewareChain's chain for API paths keeps it (for its prepare_api_request).
        in_api_chain = False

        def __init__(self, get_response):
            if _loading_api_chain.get() and not self.in_api_chain:
                raise MiddlewareNotUsed
            super().__init__(get_response)

        def __call__(self, request: HttpRequest):
            if is_api_path(request.path):
                self.prepare_api_request(request)
                return self.get_response(request)
            return super().__call__(request)

        def process_view(self, request: HttpRequest, *args, **kwargs):
            if is_api_path(request.path) or not hasattr(super(), "process_view"):
                return None
            return super().process_view(request, *args, **kwargs)

        def prepare_api_request(self, request: HttpRequest) -> None:
            pass

    SkippedForApi.__name__ = SkippedForApi.__qualname__ = f"{base.__name__}SkippedForApi"
    return SkippedForApi


BrowserSessionMiddleware = _skipped_for_api(SessionMiddleware)
BrowserCsrfViewMiddleware = _skipped_for_api(CsrfViewMiddleware)
BrowserMessageMiddleware = _skipped_for_api(MessageMiddleware)
# The admin's two-factor state (django-otp); after BrowserAuthenticationMiddleware.
BrowserOTPMiddleware = _skipped_for_api(OTPMiddleware)


class BrowserAuthenticationMiddleware(_skipped_for_api(AuthenticationMiddleware)):
    in_api_chain = True

    def prepare_api_request(self, request: HttpRequest) -> None:
        # DRF's authentication sets the real user; until then (or for plain Django views on API
        # paths) the request is anonymous rather than missing the attribute.
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()
