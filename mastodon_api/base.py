"""What every Mastodon endpoint shares: OAuth token authentication, scope checks, Mastodon's
error shape, and parsing of JSON or form bodies.

Errors come from the same domain errors and DRF exceptions as our own API, through our own
handler (``twitterclone.errors.api_exception_handler``), and are then reshaped the Mastodon way:
``{"error": "<message>"}``, with 422 for invalid input (Mastodon's "Validation failed")."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import AbstractApplication, get_application_model
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import user_can_authenticate
from twitterclone.errors import DomainError, InvalidInput, api_exception_handler
from twitterclone.jsoncodec import OrjsonParser
from twitterclone.parsers import StrictFormParser, StrictMultiPartParser

from .scopes import covers
from .tokens import oauth_token_of_request


class MastodonTokenAuthentication(OAuth2Authentication):
    """A django-oauth-toolkit access token. A token of a suspended or deactivated user is refused
    (the user row is read on every request); a client-credentials token has no user.

    A token in the ``Authorization: Bearer`` header is checked here with one constant statement
    (``tokens.oauth_token_lookup``: the token and its user, read on every request, once for
    the rate limiter and the view, so a revoked
    token or a suspended user is refused on the very next one) and the same rules as
    django-oauth-toolkit's validator: found, not expired, its application usable. What this
    does not cover goes through django-oauth-toolkit itself: a token restricted to resources
    (RFC 8707, the audience check), a request without the header (an ``access_token`` parameter,
    refused there), an application model that overrides ``is_usable``."""

    def authenticate(self, request):
        result = self._from_header(request)
        if result is _UNDECIDED:
            result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        if user is None:
            return AnonymousUser(), token
        if not user_can_authenticate(user):
            raise exceptions.AuthenticationFailed("Your login is currently disabled")
        return user, token

    def _from_header(self, request):
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        if len(parts) != 2 or parts[0].lower() != "bearer" or "access_token" in request.GET or not _DEFAULT_USABLE:
            return _UNDECIDED
        token = oauth_token_of_request(request, parts[1])
        if token is not None and token.resource:
            return _UNDECIDED  # the audience check needs the request's URI: the toolkit's own path
        if token is None or token.is_expired():
            description = "The access token is invalid." if token is None else "The access token has expired."
            request.oauth2_error = {"error": "invalid_token", "error_description": description}
            return None
        return token.user, token


# The toolkit's validator refuses a token whose application ``is_usable`` says no; the default
# application model always says yes, so the lookup may skip reading the application.
_DEFAULT_USABLE = get_application_model().is_usable is AbstractApplication.is_usable
_UNDECIDED = object()


class UserRequired(DomainError):
    status_code = 422
    code = "user_required"
    default_message = "This method requires an authenticated user"


class MastodonScopePermission(BasePermission):
    """The view's ``scopes`` say which scope each method needs (``{"GET": "read:accounts"}``, or a
    tuple of scopes any of which will do);
    ``anonymous_methods`` may be called without a token, ``app_token_methods`` with a token that has
    no user (client credentials)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        method = request.method or "GET"
        if not hasattr(view, method.lower()):
            return True  # the view answers 405
        if token is None:
            # A token that was sent but is not valid is refused even where none is needed, as Mastodon does.
            sent = request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer")
            if method in view.anonymous_methods and not sent:
                return True
            raise exceptions.NotAuthenticated("The access token is invalid")
        required = view.scopes.get(method)
        alternatives = (required,) if isinstance(required, str) else required or ()
        granted = token.scope.split()
        if alternatives and not any(covers(granted, scope) for scope in alternatives):
            raise exceptions.PermissionDenied("This action is outside the authorized scopes")
        if not request.user.is_authenticated and method not in view.app_token_methods + view.anonymous_methods:
            raise UserRequired()
        return True


def mastodon_exception_handler(exc: Exception, context: dict) -> Response:
    """Our handler, then Mastodon's shape: ``{"error": message}``, 422 for invalid input."""
    response = api_exception_handler(exc, context)
    envelope = response.data.get("error") if isinstance(response.data, dict) else None
    if not isinstance(envelope, dict):
        return response
    message = envelope.get("message") or "Error"
    if response.status_code == 400 and envelope.get("code") != "parse_error":
        response.status_code = 422
        fields = envelope.get("fields") or {}
        if fields and not message.startswith("Validation failed"):
            details = "; ".join(f"{name}: {', '.join(map(str, errors))}" for name, errors in fields.items())
            message = f"Validation failed: {details}"
    elif response.status_code == 404:
        message = "Record not found"
    response.data = {"error": message}
    return response


class MastodonView(APIView):
    """Base of every Mastodon endpoint (see the module docstring)."""

    authentication_classes = [MastodonTokenAuthentication]
    permission_classes = [MastodonScopePermission]
    parser_classes = [OrjsonParser, StrictFormParser, StrictMultiPartParser]
    scopes: dict[str, str | tuple[str, ...]] = {}
    # Not introspected: mastodon_api/openapi/ documents every Mastodon operation (a schema hook).
    schema = None
    anonymous_methods: tuple[str, ...] = ()
    app_token_methods: tuple[str, ...] = ()

    def get_exception_handler(self):
        return mastodon_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # Views read parameters with ``request.data.get``: a JSON body must be an object.
        if request.method in ("POST", "PUT", "PATCH") and not hasattr(request.data, "get"):
            raise InvalidInput("Validation failed: the body must be a JSON object or a form")


def absolute(request: Request, path: str) -> str:
    return request.build_absolute_uri(path)


def nested_param(data: Any, outer: str, inner: str) -> Any:
    """``outer[inner]`` of a body: JSON's ``{"outer": {"inner": ...}}`` or a form's flat
    ``outer[inner]=...`` key, as Mastodon clients send either. None when absent."""
    value = data.get(outer) if hasattr(data, "get") else None
    if isinstance(value, dict):
        return value.get(inner)
    return data.get(f"{outer}[{inner}]") if hasattr(data, "get") else None


def list_param(params: Any, name: str) -> list[str]:
    """A query list, as ``name[]=a&name[]=b`` or ``name=a&name=b``."""
    return params.getlist(f"{name}[]") or params.getlist(name)


def refuse_json_nulls(data: Any, keys: tuple[str, ...]) -> None:
    """A JSON body's null for one of ``keys`` (parameters that have no null) is a 422, not
    "absent": the client said something, and it is not a value of that parameter."""
    if isinstance(data, dict):
        for key in keys:
            if key in data and data[key] is None:
                raise InvalidInput(f"Validation failed: {key} can't be null", fields={key: ["null"]})
