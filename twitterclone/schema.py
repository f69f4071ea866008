"""OpenAPI post-processing: document the error envelope on every operation.

Every endpoint can answer with the contract's error shape (validation, authentication, permission,
not found, size, media type, rate limit, unavailable backing service), so each operation lists those
responses with the shared ``Error`` schema, and 429 with its headers.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "Machine-readable error code."},
                "message": {"type": "string", "description": "Human-readable explanation."},
                "fields": {
                    "type": "object",
                    "description": "Validation messages by field (validation errors only).",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}

RATE_LIMIT_HEADERS = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."},
    "X-RateLimit-Limit": {"schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Epoch seconds."},
}

ERROR_RESPONSES = {
    "400": "Invalid input.",
    "401": "Not authenticated, or the token is invalid or expired.",
    "403": "Not allowed.",
    "404": "Not found, or not visible to you.",
    "405": "Method not allowed.",
    "413": "Request body too large.",
    "414": "Query string too long (over 4096 characters).",
    "415": "Unsupported media type.",
    "429": "Rate limited.",
    "503": "A backing service is unavailable; retry later.",
}

BODY_METHODS = {"post", "put", "patch"}

# Operations that cannot answer every generic error: the probes and the API root take no
# authentication, no body and no parameters (and the probes are not rate-limited).
GENERIC_ERRORS_BY_OPERATION = {
    "healthz": {"405", "414"},
    "readyz": {"405", "414"},
    "api_root": {"405", "414", "429"},
}


def error_response(description: str):
    """An extra error status for ``extend_schema(responses=...)``, documented with the envelope."""
    from drf_spectacular.utils import OpenApiResponse

    return OpenApiResponse(description=f"Error: {description}")


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for response in responses.values():
                # Error responses a view declares with a description only get the envelope's schema.
                code_is_error = response is not None and "content" not in response
                if code_is_error and response.get("description", "").startswith("Error:"):
                    response["content"] = {"application/json": {"schema": ref}}
            generic = GENERIC_ERRORS_BY_OPERATION.get(operation.get("operationId"), ERROR_RESPONSES.keys())
            for code, description in ERROR_RESPONSES.items():
                if code in ("413", "415") and method not in BODY_METHODS:
                    continue
                if code not in generic:
                    continue
                if code in responses:
                    continue
                response: dict[str, Any] = {
                    "description": description,
                    "content": {"application/json": {"schema": ref}},
                }
                if code == "429":
                    response["headers"] = RATE_LIMIT_HEADERS
                responses[code] = response
    return result


# What DRF's CharField refuses besides length: NUL (ProhibitNullCharactersValidator), and, when it
# trims and may not be blank, a value of whitespace only. The request schema says so, so that
# every string the schema allows is accepted (schemathesis' positive-data check holds us to it).
# Blank strings, where allowed, are the other branch of the ``oneOf`` drf-spectacular adds for
# fields with a pattern, so this one must not match "" (or "" would match both branches).
NO_NUL_PATTERN = r"^[^\x00]+$"
# \x1c-\x1f are whitespace to Python's str.strip() (and so to DRF) but not to every regex engine.
NOT_BLANK_PATTERN = r"^[^\x00]*[^\x00\s\x1c-\x1f][^\x00]*$"


def _string_pattern(field: serializers.Field) -> str | None:
    if not isinstance(field, serializers.CharField) or isinstance(
        field, (serializers.RegexField, serializers.EmailField, serializers.URLField, serializers.UUIDField)
    ):
        return None  # formats and regexes say it already
    return NOT_BLANK_PATTERN if field.trim_whitespace and not field.allow_blank else NO_NUL_PATTERN


class StrictAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the string constraints DRF enforces without saying."""

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        # A serializer states what its fields cannot (e.g. "exactly one of") in openapi_request_extra.
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        extra = getattr(serializer, "openapi_request_extra", None)
        if extra and direction == "request":
            schema = {**schema, **extra}
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        pattern = _string_pattern(field) if direction == "request" else None
        if pattern and schema.get("type") == "string" and "pattern" not in schema and "enum" not in schema:
            schema["pattern"] = pattern
        return schema
