"""Project-level error views: JSON for API paths, Django's pages elsewhere (the admin)."""

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from .errors import error_json_response
from .middleware import is_api_path


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return error_json_response(404, "not_found", "Not found.")
    return defaults.page_not_found(request, exception)


def json_server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return error_json_response(500, "server_error", "An internal error occurred.")
    return defaults.server_error(request)
