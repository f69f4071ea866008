"""Project-level views: the API root, the landing page, and JSON error views for API paths."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views import defaults
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import error_json_response
from .middleware import is_api_path

API_NAME = "twitterclone"


# Link name -> URL name.
LINKS = {
    "docs": "docs",
    "schema": "schema",
    "health": "healthz",
    "readiness": "readyz",
    "register": "auth-register",
    "login": "auth-login",
}


def _links(request: HttpRequest) -> dict[str, str]:
    return {link: request.build_absolute_uri(reverse(url_name)) for link, url_name in LINKS.items()}


class ApiRootView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="api_root",
        tags=["api"],
        summary="API root: name, version and where to start",
        responses={
            200: inline_serializer(
                "ApiRoot",
                {
                    "name": serializers.CharField(),
                    "description": serializers.CharField(),
                    "version": serializers.CharField(),
                    "links": inline_serializer(
                        "ApiRootLinks",
                        {name: serializers.URLField() for name in LINKS},
                    ),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "name": API_NAME,
                "description": "REST API of a Twitter-like social network. JSON in and out; "
                "authenticate with Authorization: Bearer <access token> from login or register.",
                "version": settings.SPECTACULAR_SETTINGS["VERSION"],
                "links": _links(request),
            }
        )


def landing_page(request: HttpRequest) -> HttpResponse:
    """``/``: a few lines of HTML saying what this server is and where to go."""
    context = {"name": API_NAME, "version": settings.SPECTACULAR_SETTINGS["VERSION"], "api_root": reverse("api-root")}
    return render(request, "landing.html", context)


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return error_json_response(404, "not_found", "Not found.")
    return defaults.page_not_found(request, exception)


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's own 400s (a disallowed Host header, a malformed multipart body, too many fields)."""
    if is_api_path(request.path):
        return error_json_response(400, "bad_request", "Bad request.")
    return defaults.bad_request(request, exception)


def json_permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return error_json_response(403, "permission_denied", "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception)


def json_server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return error_json_response(500, "server_error", "An internal error occurred.")
    return defaults.server_error(request)
