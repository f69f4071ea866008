"""Domain errors and the API's single exception handler.

Services raise ``DomainError`` subclasses; the handler turns them, DRF's own
exceptions and Django's 404/permission errors into the contract's envelope::

    {"error": {"code": "...", "message": "...", "fields": {...}}}

Anything unexpected is logged and answered with a JSON 500 that leaks nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connection
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .jsoncodec import json_response

logger = logging.getLogger("twitterclone.errors")


class DomainError(Exception):
    """Base class of every business-rule error a service may raise."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"
    default_message = "Invalid request."

    def __init__(self, message: str | None = None, *, code: str | None = None, fields: dict | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.fields = fields
        super().__init__(self.message)


class InvalidInput(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"


class NotAuthenticated(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "not_authenticated"
    default_message = "Authentication credentials were not provided or are invalid."


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"
    default_message = "You are not allowed to do this."


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_message = "Not found."


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_message = "This conflicts with the current state."


class ServiceUnavailable(DomainError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "service_unavailable"
    default_message = "A backing service is unavailable; try again shortly."


def error_body(code: str, message: str, fields: dict | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def error_json_response(
    status_code: int, code: str, message: str, *, request: HttpRequest | None = None, **kwargs: Any
) -> HttpResponse:
    """A plain Django JSON response in the envelope, for code outside DRF views (middleware). Given
    the ``request``, an error on a Mastodon endpoint takes Mastodon's shape, ``{"error": message}``,
    as the views' own errors do there (``mastodon_api.urls.speaks_mastodon``)."""
    body = error_body(code, message)
    if request is not None and _speaks_mastodon(request):
        body = {"error": message}
    response = json_response(body, status=status_code)
    for header, value in kwargs.get("headers", {}).items():
        response[header] = value
    return response


def _speaks_mastodon(request: HttpRequest) -> bool:
    from django.apps import apps

    if not apps.is_installed("mastodon_api"):
        return False
    from mastodon_api.urls import speaks_mastodon

    return speaks_mastodon(request)


def _flatten_fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for sub_key, messages in _flatten_fields(value, name).items():
                fields.setdefault(sub_key, []).extend(messages)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, (dict, list)):
                for sub_key, messages in _flatten_fields(item, f"{prefix}.{index}" if prefix else str(index)).items():
                    fields.setdefault(sub_key, []).extend(messages)
            else:
                fields.setdefault(prefix or "non_field_errors", []).append(str(item))
    else:
        fields.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return fields


def _first_code(codes: Any) -> str | None:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, dict):
        for value in codes.values():
            found = _first_code(value)
            if found:
                return found
    if isinstance(codes, list):
        for value in codes:
            found = _first_code(value)
            if found:
                return found
    return None


def _translate(exc: Exception) -> Exception:
    """Turn Django and database exceptions into DRF or domain ones."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError("The request was malformed.")
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return exceptions.ValidationError(detail)
    if isinstance(exc, (OperationalError, InterfaceError)):
        return ServiceUnavailable("The database is unavailable; try again shortly.", code="database_unavailable")
    return exc


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def _request_user_is_gone(exc: Exception, context: dict) -> bool:
    """Whether ``exc`` comes from the request's authenticated user's row having been deleted after
    the token was checked: the user's fields load on first use
    (``accounts.authentication.user_with_id``) and that load found no row (DoesNotExist), or a
    row written for the user failed its foreign key to it at commit (IntegrityError)."""
    user = getattr(context.get("request"), "_user", None)  # as authenticated (no new attempt)
    if user is None or not user.is_authenticated or not isinstance(exc, (type(user).DoesNotExist, IntegrityError)):
        return False
    if connection.needs_rollback:  # inside a broken atomic block: no query can say
        return False
    return not type(user)._default_manager.filter(pk=user.pk).exists()


def api_exception_handler(exc: Exception, context: dict) -> Response:
    if _request_user_is_gone(exc, context):
        # As for a token whose user was deleted before the request (simplejwt's own answer).
        exc = exceptions.AuthenticationFailed("User not found", code="user_not_found")
        exc.auth_header = context["view"].get_authenticate_header(context["request"])  # as DRF sets it
    exc = _translate(exc)
    if isinstance(exc, DomainError):
        headers = {"Retry-After": "5"} if isinstance(exc, ServiceUnavailable) else None
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code, headers=headers)

    response = drf_exception_handler(exc, context)
    if response is None:
        view = context.get("view")
        if isinstance(exc, DatabaseError):
            logger.exception("database error in %s", type(view).__name__ if view else "?")
        else:
            logger.exception("unhandled exception in %s", type(view).__name__ if view else "?")
        response = Response(
            error_body("server_error", "An internal error occurred."), status=status.HTTP_500_INTERNAL_SERVER_ERROR
        )
        response._has_been_logged = True  # logged above, with the traceback: django.request need not
        return response

    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten_fields(exc.detail)
        first = next(iter(fields.values()))[0] if fields else "Invalid input."
        response.data = error_body(
            "invalid", first if list(fields) == ["non_field_errors"] else "Invalid input.", fields
        )
        return response

    detail = exc.detail
    if isinstance(detail, dict):  # simplejwt's InvalidToken carries {"detail", "code", "messages"}
        message = str(detail.get("detail", "Error."))
        code = str(detail.get("code", exc.default_code))
    else:
        message = str(detail)
        code = _first_code(exc.get_codes()) or exc.default_code
    if isinstance(exc, exceptions.Throttled):
        code = "throttled"
    response.data = error_body(code, message)
    return response
