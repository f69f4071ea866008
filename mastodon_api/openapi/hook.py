"""drf-spectacular post-processing hook: the Mastodon client API in our OpenAPI schema.

Runs after ``twitterclone.schema.add_error_responses`` (which gives our operations our error
envelope): it adds the ``Mastodon*`` components, the ``mastodonOAuth`` security scheme (OAuth 2,
Mastodon's scopes) and one operation per entry of ``operations.OPERATIONS``, tagged ``mastodon``,
with Mastodon's error shape. Where a path and method exist in both APIs (``GET
/api/v1/notifications``, ``GET /api/v1/bookmarks``: ``mastodon_api.urls.by_token``), the one
operation describes both: either security, the parameters of each (saying whose they are), and
each response as ``oneOf`` our shape | Mastodon's."""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings

from .components import COMPONENTS, ref
from .operations import JSON, OPERATIONS, Operation

SCHEME = "mastodonOAuth"
TAG = {
    "name": "mastodon",
    "description": "The Mastodon client API (https://docs.joinmastodon.org/client/intro/), beside ours: "
    "authenticate with a Mastodon OAuth token (`POST /api/v1/apps`, then `/oauth/authorize` and "
    '`/oauth/token`). Errors are `{"error": "..."}`; lists are paged with `max_id`/`since_id`/`min_id`/'
    "`limit` and a `Link` header. See docs/mastodon.md for where we differ from Mastodon.",
}
MASTODON_ERROR = ref("MastodonError")
OUR_ERROR = ref("Error")

ERROR_DESCRIPTIONS = {
    "400": "The body cannot be parsed (OAuth endpoints: an OAuth error such as `invalid_grant`).",
    "401": "The access token is invalid (also where none is needed, when a bad one is sent).",
    "403": "This action is outside the authorized scopes (or not allowed).",
    "404": "Record not found (or not visible to you).",
    "405": "Method not allowed.",
    "413": "Request body too large.",
    "414": "Query string too long (over 4096 characters).",
    "415": "Unsupported media type.",
    "422": "Validation failed (also: a token without a user on an endpoint that needs one).",
    "429": "Rate limited (the same limits as our API).",
    "503": "A backing service is unavailable; retry later.",
}
RATE_LIMIT_HEADERS = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."},
    "X-RateLimit-Limit": {"schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Epoch seconds."},
}
LINK_HEADER = {
    "schema": {"type": "string", "pattern": r'^<[^>]+>; rel="next", <[^>]+>; rel="prev"$'},
    "description": "Absolute URLs of the next (older) and previous (newer) pages, exactly "
    '`<url>; rel="next", <url>; rel="prev"`; absent for an empty page.',
}
BODY_METHODS = {"post", "put", "patch"}


def security_scheme() -> dict[str, Any]:
    scopes = dict(settings.OAUTH2_PROVIDER["SCOPES"])
    return {
        "type": "oauth2",
        "description": "A Mastodon OAuth access token (no dots, unlike our JWTs) as `Authorization: Bearer`. "
        "A broad scope covers its sub-scopes (`read` covers `read:statuses`); the legacy `follow` covers "
        "reading and writing follows, blocks and mutes.",
        "flows": {
            "authorizationCode": {"authorizationUrl": "/oauth/authorize", "tokenUrl": "/oauth/token", "scopes": scopes},
            "password": {"tokenUrl": "/oauth/token", "scopes": scopes},
            "clientCredentials": {"tokenUrl": "/oauth/token", "scopes": scopes},
        },
    }


def _security(op: Operation) -> list[dict[str, list[str]]]:
    if op.oauth_endpoint:
        return [{}]
    requirements = [{SCHEME: [scope]} for scope in op.scopes] or [{SCHEME: []}]
    if op.anonymous:
        requirements.append({})
    return requirements


def generic_errors(op: Operation) -> list[str]:
    """What any operation of this kind can answer besides its own ``errors``."""
    codes = ["414", "429"]
    if not op.oauth_endpoint:
        codes += ["401", "405", "422", "503"]
        if op.scopes:
            codes.append("403")
    if op.method in BODY_METHODS and op.body is not None:
        codes += ["400", "413", "415"]
        if not op.oauth_endpoint:
            codes.append("422")
    return sorted(set(codes) | set(op.errors))


def _error_response(code: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERROR_DESCRIPTIONS[code],
        "content": {JSON: {"schema": MASTODON_ERROR}},
    }
    if code == "429":
        response["headers"] = copy.deepcopy(RATE_LIMIT_HEADERS)
    return response


def build_operation(op: Operation) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": list(op.tags),
        "security": _security(op),
    }
    if op.description:
        operation["description"] = op.description
    if op.parameters:
        operation["parameters"] = copy.deepcopy(list(op.parameters))
    if op.body is not None:
        operation["requestBody"] = {
            "required": op.body_required,
            "content": {
                media: {"schema": copy.deepcopy(op.body if media == JSON else op.form_body or op.body)}
                for media in op.media_types
            },
        }
    responses: dict[str, Any] = {}
    if op.response is not None:
        ok: dict[str, Any] = {"description": "OK", "content": {JSON: {"schema": copy.deepcopy(op.response)}}}
        if op.paginated:
            ok["headers"] = {"Link": copy.deepcopy(LINK_HEADER)}
        responses["200"] = ok
    responses.update(copy.deepcopy(op.responses))
    for code in generic_errors(op):
        responses.setdefault(code, _error_response(code))
    operation["responses"] = dict(sorted(responses.items()))
    return operation


def _one_of(ours: dict[str, Any] | None, theirs: dict[str, Any] | None) -> dict[str, Any] | None:
    if ours is None or theirs is None or ours == theirs:
        return ours or theirs
    return {"oneOf": [ours, theirs]}


def merge_shared(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """One operation for a path both APIs serve: dispatched by the token (``by_token``)."""
    merged = copy.deepcopy(ours)
    merged["tags"] = [*ours.get("tags", []), *[tag for tag in theirs["tags"] if tag not in ours.get("tags", [])]]
    merged["summary"] = f"{ours.get('summary', '')} (or Mastodon's, with a Mastodon token)".strip()
    paged = "Link" in theirs["responses"].get("200", {}).get("headers", {})
    their_shape = (
        "a JSON array paged with `max_id`/`since_id`/`min_id`/`limit` and a `Link` header"
        if paged
        else "Mastodon's shape"
    )
    our_shape = "a page `{results, next, previous}`" if paged else "our shape"
    merged["description"] = (
        "**Two APIs on one path, chosen by the token.** With a Mastodon OAuth token (no dots) this is Mastodon's "
        f"`{theirs['operationId']}`: {theirs['summary']}, {their_shape}, "
        'errors as `{"error": "..."}`. With a JWT (three dot-separated parts) or '
        f"no token it is ours, unchanged: {our_shape} and our error envelope. Each "
        "parameter says which of the two reads it; the other ignores it.\n\n"
        f"Ours: {ours.get('description', '')}\n\nMastodon's: {theirs.get('description', '')}"
    ).strip()
    merged["security"] = [*ours.get("security", []), *[s for s in theirs["security"] if s != {}]]
    parameters = []
    for parameter in ours.get("parameters", []):
        parameter = copy.deepcopy(parameter)
        parameter["description"] = f"(JWT or no token only) {parameter.get('description', '')}".strip()
        parameters.append(parameter)
    for parameter in theirs.get("parameters", []):
        parameter = copy.deepcopy(parameter)
        parameter["description"] = f"(Mastodon token only) {parameter.get('description', '')}".strip()
        parameters.append(parameter)
    merged["parameters"] = parameters
    responses = {}
    for code in sorted(set(ours["responses"]) | set(theirs["responses"])):
        mine, other = ours["responses"].get(code), theirs["responses"].get(code)
        if mine is None or other is None:
            responses[code] = copy.deepcopy(mine or other)
            continue
        response = {"description": f"Ours: {mine.get('description', '')} Mastodon's: {other.get('description', '')}"}
        ours_schema = mine.get("content", {}).get(JSON, {}).get("schema")
        their_schema = other.get("content", {}).get(JSON, {}).get("schema")
        schema = _one_of(ours_schema, their_schema)
        if schema is not None:
            response["content"] = {JSON: {"schema": copy.deepcopy(schema)}}
        headers = {**mine.get("headers", {}), **other.get("headers", {})}
        if headers:
            response["headers"] = copy.deepcopy(headers)
        responses[code] = response
    merged["responses"] = responses
    return merged


def add_mastodon_operations(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    components = result.setdefault("components", {})
    components.setdefault("schemas", {}).update(copy.deepcopy(COMPONENTS))
    components.setdefault("securitySchemes", {})[SCHEME] = security_scheme()
    tags = result.setdefault("tags", [])
    if not any(tag.get("name") == TAG["name"] for tag in tags):
        tags.append(dict(TAG))
    paths = result.setdefault("paths", {})
    for op in OPERATIONS:
        operation = build_operation(op)
        path_item = paths.setdefault(op.path, {})
        existing = path_item.get(op.method)
        path_item[op.method] = merge_shared(existing, operation) if existing else operation
    return result
