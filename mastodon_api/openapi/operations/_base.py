"""What every group of Mastodon operations is written with: the Operation record, parameter
helpers and shared schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..components import array, ref

Schema = dict[str, Any]

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    response: Schema | None = None  # the 200 answer's JSON schema
    scopes: tuple[str, ...] = ()  # any one of them will do ("read" covers "read:statuses")
    anonymous: bool = False  # may be called without a token
    any_token: bool = False  # any token of the app, with or without a user (no scope needed)
    parameters: tuple[Schema, ...] = ()
    body: Schema | None = None  # JSON, form or multipart
    form_body: Schema | None = None  # the form's (and multipart's) flat keys, where they differ from JSON's
    media_types: tuple[str, ...] = (JSON, FORM, MULTIPART)
    body_required: bool = True
    paginated: bool = False  # Mastodon's max_id/since_id/min_id/limit and a Link header
    errors: tuple[str, ...] = ()  # statuses beyond the generic ones (see hook.generic_errors)
    description: str = ""
    responses: dict[str, Schema] = field(default_factory=dict)  # full response objects, replacing the default
    oauth_endpoint: bool = False  # /oauth/...: no Mastodon token, OAuth's own errors
    tags: tuple[str, ...] = ("mastodon",)


def query(name: str, schema: Schema, description: str = "", *, required: bool = False, explode: bool = True) -> Schema:
    parameter: Schema = {"name": name, "in": "query", "required": required, "schema": schema}
    if description:
        parameter["description"] = description
    if schema.get("type") == "array":
        parameter.update(style="form", explode=explode)
    return parameter


def path_param(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


PAGE_ID = {"type": "string", "pattern": "^[0-9]{1,18}$"}
# An id in a body: a string of digits, or a JSON integer (mastodon_api.pagination.parse_id).
BODY_ID = {"oneOf": [PAGE_ID, {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}]}
PAGINATION = (
    query("max_id", PAGE_ID, "Items older than this id (the `next` link sets it)."),
    query("since_id", PAGE_ID, "The newest items newer than this id."),
    query("min_id", PAGE_ID, "The items just newer than this id (the `prev` link sets it), still newest first."),
    query("limit", {"type": "integer", "minimum": 0, "default": 20}, "Items per page: default 20, at most 40."),
)
LIMIT = PAGINATION[3]
BOOLEAN_QUERY = {"type": "boolean"}
# A boolean in a form (everything there is a string): the words the views accept.
TRUE_WORDS, FALSE_WORDS = ["true", "1", "on", "yes"], ["false", "0", "off", "no"]
FORM_BOOLEAN = {"type": "string", "enum": TRUE_WORDS + FALSE_WORDS}


def form_flat(schema: Schema) -> Schema:
    """A JSON body's schema as a form's: booleans as their words (an ``enum`` of one value keeps its
    meaning: ``[false]`` is the false words)."""
    properties = {}
    for name, prop in schema["properties"].items():
        if prop.get("type") == "boolean":
            words = {True: TRUE_WORDS, False: FALSE_WORDS}
            allowed = [w for value in prop.get("enum", [True, False]) for w in words[value]]
            prop = {**{k: v for k, v in prop.items() if k != "enum"}, "type": "string", "enum": allowed}
        properties[name] = prop
    return {**schema, "properties": properties}


ACCOUNT_ID = path_param("account_id", {"type": "string", "minLength": 1}, "The account's id (404 when unknown).")
STATUS_ID = path_param("status_id", {"type": "string", "minLength": 1}, "The status's id (404 when unknown).")
NOTIFICATION_ID = path_param("notification_id", PAGE_ID, "The notification's id.")
TAG = path_param("tag", {"type": "string", "minLength": 1}, "The hashtag, without `#`.")


def html_response(description: str) -> Schema:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


REDIRECT = {
    "description": "A redirect (to the sign-in page, or to the app's redirect URI with `code` and `state`).",
    "headers": {"Location": {"schema": {"type": "string"}, "required": True}},
}
EVENT_STREAM = {
    "description": "Server-sent events: `event: update` / `notification` / `delete` / `status.update` lines, "
    "each followed by `data: <JSON>` (a bare id for `delete`), and a `:thump` comment every 15 seconds.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}
STREAM_TOKEN = query(
    "access_token",
    {"type": "string"},
    "The token, if not in the `Authorization` header (or, for the socket, the `Sec-WebSocket-Protocol`).",
)
HASHTAG_QUERY = query("tag", {"type": "string", "minLength": 1, "maxLength": 100}, "The hashtag.", required=True)
STREAM_SCOPES = ("read:statuses", "read:notifications")

EMPTY_OBJECT = {"type": "object", "maxProperties": 0}


def empty_list(path: str, operation_id: str, what: str, scopes: tuple[str, ...], anonymous: bool = False):
    return Operation(
        "get",
        path,
        operation_id,
        f"{what} (always empty: no such feature here yet)",
        {"type": "array", "maxItems": 0, "items": {}},
        scopes=scopes,
        anonymous=anonymous,
    )


def relationship_action(action: str, scope: str, summary: str) -> Operation:
    return Operation(
        "post",
        f"/api/v1/accounts/{{account_id}}/{action}",
        f"mastodon_account_{action}",
        summary,
        ref("MastodonRelationship"),
        scopes=(scope, "follow"),
        parameters=(ACCOUNT_ID,),
        errors=("404",) + (("403",) if action == "follow" else ()),
        description="Idempotent; answers the Relationship after the change (`social.services`).",
    )


def status_action(action: str, scope: str, summary: str) -> Operation:
    return Operation(
        "post",
        f"/api/v1/statuses/{{status_id}}/{action}",
        f"mastodon_status_{action}",
        summary,
        ref("MastodonStatus"),
        scopes=(scope,),
        parameters=(STATUS_ID,),
        errors=("404",),
        description="Idempotent. A reblog answers the reblog, with the original nested in `reblog`."
        if action == "reblog"
        else "Idempotent; answers the status after the change.",
    )


STATUS_LIST = array(ref("MastodonStatus"))
ACCOUNT_LIST = array(ref("MastodonAccount"))
