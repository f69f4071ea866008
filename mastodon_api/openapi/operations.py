"""Every operation of the Mastodon client API, as data: path, method, scopes, parameters, body and
answer. ``mastodon_api.openapi.hook`` turns them into OpenAPI operations; the views stay free of
annotations. A route added to ``mastodon_api/urls.py`` without an entry here fails
``mastodon_api/tests/test_openapi.py``.

Paths use the names of the URL patterns' groups (``{account_id}``); each route also answers with a
trailing slash, which is not listed twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from twitterclone.schema import NOT_BLANK_PATTERN

from .components import array, nullable, obj, ref

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

STATUS_TEXT = {"type": "string", "maxLength": 280, "pattern": NOT_BLANK_PATTERN, "description": "The text (1 to 280)."}

STATUS_CREATE = obj(
    {"status": STATUS_TEXT},
    {
        "in_reply_to_id": {
            "oneOf": [{"type": "string", "pattern": "^([0-9]{1,18})?$"}, BODY_ID["oneOf"][1]],
            "nullable": True,
            "description": "The status replied to; empty or null: none.",
        },
        "visibility": {
            "type": "string",
            "enum": ["public", "unlisted", "private"],
            "default": "public",
            "description": "`unlisted` is taken as public (we have no unlisted); `private` is followers-only; "
            "`direct` is refused.",
        },
        "sensitive": {"type": "boolean", "description": "Accepted, not stored."},
        "spoiler_text": {
            "type": "string",
            "pattern": r"^\s*$",
            "description": "Only empty: content warnings are not supported here (422 otherwise).",
        },
        "language": nullable({"type": "string", "description": "Accepted, not stored."}),
    },
    additionalProperties=True,
)
STATUS_CREATE_FORM = form_flat(STATUS_CREATE)
STATUS_EDIT = obj({"status": STATUS_TEXT}, additionalProperties=True)

APP_CREATE = obj(
    {
        "client_name": {"type": "string", "maxLength": 60, "pattern": NOT_BLANK_PATTERN},
        "redirect_uris": {
            "oneOf": [{"type": "string"}, array({"type": "string"}, minItems=1, maxItems=10)],
            "description": "One URI, several separated by whitespace or newlines, or an array "
            "(`redirect_uris[]` in forms). `urn:ietf:wg:oauth:2.0:oob` shows the code to the user.",
        },
    },
    {
        "scopes": {"type": "string", "nullable": True, "default": "read", "description": "Space-separated scopes."},
        "website": nullable({"type": "string", "description": "An http(s) URL."}),
    },
)

PROFILE_FIELD = obj(
    {},
    {
        "name": {"type": "string", "nullable": True, "description": "`Website` or `Location` (any case), once each."},
        "value": {"type": "string", "nullable": True, "description": "null: empty."},
    },
)
UPDATE_CREDENTIALS = obj(
    {},
    {
        "display_name": {"type": "string", "maxLength": 50},
        "note": {"type": "string", "maxLength": 160, "description": "The bio."},
        "avatar": {
            "type": "string",
            "format": "binary",
            "nullable": True,
            "description": "An image (multipart); JSON null removes it, as on `PATCH /api/v1/users/me`.",
        },
        "fields_attributes": {
            "oneOf": [array(PROFILE_FIELD, maxItems=4), {"type": "object", "additionalProperties": PROFILE_FIELD}],
            "description": "The whole set of profile fields (Website and Location are ours); form: "
            "`fields_attributes[0][name]`, ... Fields not sent are cleared.",
        },
        # What we cannot store is accepted with the value every account has here only (else 422).
        "locked": {"type": "boolean", "enum": [False]},
        "bot": {"type": "boolean", "enum": [False]},
        "discoverable": {"type": "boolean", "enum": [True]},
        "hide_collections": {"type": "boolean", "enum": [False]},
        "indexable": {"type": "boolean", "enum": [True]},
        "source": obj(
            {},
            {
                "privacy": {"type": "string", "enum": ["public"]},
                "sensitive": {"type": "boolean", "enum": [False]},
                "language": {"type": "string", "enum": ["", None], "nullable": True},
            },
        ),
    },
)
UPDATE_CREDENTIALS_FORM = form_flat(
    obj(
        {},
        {
            **{
                name: schema
                for name, schema in UPDATE_CREDENTIALS["properties"].items()
                if name not in ("fields_attributes", "source")
            },
            **{
                f"source[{name}]": schema
                for name, schema in UPDATE_CREDENTIALS["properties"]["source"]["properties"].items()
            },
            **{
                f"fields_attributes[{index}][{key}]": {"type": "string"}
                for index in range(4)
                for key in ("name", "value")
            },
        },
        description="A form's flat keys: `source[privacy]`, `fields_attributes[0][name]`, ...",
    )
)
MARKER_POSITION = {**obj({"last_read_id": BODY_ID}), "nullable": True, "description": "null: left as it is."}
MARKERS_SAVE = obj({}, {"home": MARKER_POSITION, "notifications": MARKER_POSITION})
MARKERS_SAVE_FORM = obj(
    {},
    {"home[last_read_id]": PAGE_ID, "notifications[last_read_id]": PAGE_ID},
    description="A form's flat keys.",
)


def null_as_absent(
    schema: Schema, names: tuple[str, ...], *, nested: dict[str, tuple[str, ...]] | None = None
) -> Schema:
    """A JSON body's schema where these properties may be null, which the views take as not sent
    (``avatar: null`` removes the avatar, as in ``PATCH /api/v1/users/me``)."""
    properties = dict(schema["properties"])
    for name, inner in (nested or {}).items():
        properties[name] = null_as_absent(properties[name], inner)
    for name in names:
        prop = {**properties[name], "nullable": True}
        if "enum" in prop:
            prop["enum"] = [*prop["enum"], None]
        properties[name] = prop
    return {**schema, "properties": properties}


STATUS_CREATE_JSON = null_as_absent(STATUS_CREATE, ("visibility", "sensitive", "spoiler_text"))
UPDATE_CREDENTIALS_JSON = null_as_absent(
    UPDATE_CREDENTIALS,
    ("avatar", "fields_attributes", "locked", "bot", "discoverable", "hide_collections", "indexable", "source"),
    nested={"source": ("privacy", "sensitive")},
)

TOKEN_REQUEST = obj(
    {"grant_type": {"type": "string", "enum": ["authorization_code", "client_credentials", "password"]}},
    {
        "client_id": {"type": "string", "description": "Or HTTP Basic."},
        "client_secret": {"type": "string", "description": "Or HTTP Basic."},
        "code": {"type": "string", "description": "authorization_code: the code."},
        "redirect_uri": {"type": "string", "description": "authorization_code: as authorized."},
        "code_verifier": {"type": "string", "description": "authorization_code with PKCE (S256)."},
        "scope": {"type": "string", "description": "Space-separated; default `read`."},
        "username": {"type": "string", "description": "password grant: username or email."},
        "password": {"type": "string", "description": "password grant."},
    },
)
REVOKE_REQUEST = obj(
    {"token": {"type": "string"}}, {"client_id": {"type": "string"}, "client_secret": {"type": "string"}}
)


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


def _empty_list(path: str, operation_id: str, what: str, scopes: tuple[str, ...], anonymous: bool = False):
    return Operation(
        "get",
        path,
        operation_id,
        f"{what} (always empty: no such feature here yet)",
        {"type": "array", "maxItems": 0, "items": {}},
        scopes=scopes,
        anonymous=anonymous,
    )


def _relationship_action(action: str, scope: str, summary: str) -> Operation:
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


def _status_action(action: str, scope: str, summary: str) -> Operation:
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

OPERATIONS: tuple[Operation, ...] = (
    # --- OAuth and apps ---------------------------------------------------------------------
    Operation(
        "post",
        "/api/v1/apps",
        "mastodon_apps_create",
        "Register a client application",
        ref("MastodonCredentialApplication"),
        anonymous=True,
        body=APP_CREATE,
        description="No token needed. JSON or form.",
    ),
    Operation(
        "get",
        "/api/v1/apps/verify_credentials",
        "mastodon_apps_verify_credentials",
        "The token's application",
        ref("MastodonApplication"),
        any_token=True,
        description="Any token of the app, also a client-credentials one.",
    ),
    Operation(
        "get",
        "/oauth/authorize",
        "mastodon_oauth_authorize",
        "The consent page (HTML)",
        parameters=(
            query("response_type", {"type": "string", "enum": ["code"]}, required=True),
            query("client_id", {"type": "string"}, required=True),
            query("redirect_uri", {"type": "string"}, "One of the app's; `urn:ietf:wg:oauth:2.0:oob` shows the code."),
            query("scope", {"type": "string"}, "Space-separated; default `read`."),
            query("state", {"type": "string"}),
            query("code_challenge", {"type": "string"}, "PKCE."),
            query("code_challenge_method", {"type": "string", "enum": ["S256"]}),
        ),
        responses={
            "200": html_response("The consent page (app, account, scopes), or the oob code once authorized."),
            "302": REDIRECT,
            "400": html_response("An error page (unknown client, unregistered redirect URI, bad scope)."),
        },
        oauth_endpoint=True,
        description="A browser page, not JSON. Not signed in: a redirect to the sign-in page (`/oauth/login`) "
        "first. Unknown parameters (`force_login`, `lang`) are ignored. Also at `/oauth/authorize/`.",
    ),
    Operation(
        "post",
        "/oauth/authorize",
        "mastodon_oauth_authorize_submit",
        "Consent (the page's form)",
        body=obj({"client_id": {"type": "string"}, "allow": {"type": "string"}}, additionalProperties=True),
        responses={
            "200": html_response("The oob code."),
            "302": REDIRECT,
            "400": html_response("An error page."),
            "403": html_response("CSRF check failed (the form must come from the page)."),
        },
        oauth_endpoint=True,
        description="The consent page's form (session cookie and CSRF token): the browser posts it.",
    ),
    Operation(
        "get",
        "/oauth/login",
        "mastodon_oauth_login_page",
        "The sign-in page (HTML)",
        parameters=(query("next", {"type": "string"}, "Where to go after signing in (this host only)."),),
        responses={"200": html_response("The sign-in form.")},
        oauth_endpoint=True,
    ),
    Operation(
        "post",
        "/oauth/login",
        "mastodon_oauth_login",
        "Sign in (the page's form)",
        body=obj({"login": {"type": "string"}, "password": {"type": "string"}}, {"next": {"type": "string"}}),
        responses={
            "302": REDIRECT,
            "400": html_response("The form again, with the error."),
            "403": html_response("CSRF check failed."),
        },
        oauth_endpoint=True,
        description="Our login rule (username or email; suspended accounts refused); rate-limited like "
        "`POST /api/v1/auth/login`.",
    ),
    Operation(
        "post",
        "/oauth/token",
        "mastodon_oauth_token",
        "Obtain a token",
        ref("MastodonToken"),
        body=TOKEN_REQUEST,
        errors=("400", "401"),
        oauth_endpoint=True,
        description="Grants `authorization_code`, `client_credentials` and `password` (unless "
        "`MASTODON_PASSWORD_GRANT_ENABLED=false`). Client credentials in the body or HTTP Basic. Errors are "
        'OAuth\'s: `{"error": "invalid_grant", "error_description": ...}`.',
    ),
    Operation(
        "post",
        "/oauth/revoke",
        "mastodon_oauth_revoke",
        "Revoke a token",
        EMPTY_OBJECT,
        body=REVOKE_REQUEST,
        errors=("400", "401"),
        oauth_endpoint=True,
        description="The token stops working; another client's token is left alone.",
    ),
    Operation(
        "get",
        "/.well-known/oauth-authorization-server",
        "mastodon_oauth_metadata",
        "OAuth authorization server metadata (RFC 8414)",
        ref("MastodonAuthorizationServerMetadata"),
        oauth_endpoint=True,
    ),
    # --- Instance ---------------------------------------------------------------------------
    Operation(
        "get",
        "/api/v1/instance",
        "mastodon_instance_v1",
        "The instance (v1)",
        ref("MastodonInstanceV1"),
        anonymous=True,
        any_token=True,
    ),
    Operation(
        "get",
        "/api/v2/instance",
        "mastodon_instance",
        "The instance (v2)",
        ref("MastodonInstance"),
        anonymous=True,
        any_token=True,
    ),
    Operation(
        "get",
        "/.well-known/nodeinfo",
        "mastodon_nodeinfo_links",
        "Where the nodeinfo document is",
        ref("MastodonNodeInfoLinks"),
        oauth_endpoint=True,
    ),
    Operation(
        "get",
        "/nodeinfo/2.0",
        "mastodon_nodeinfo",
        "Nodeinfo 2.0",
        ref("MastodonNodeInfo"),
        oauth_endpoint=True,
        responses={
            "200": {
                "description": "The nodeinfo document.",
                "content": {
                    'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"': {
                        "schema": ref("MastodonNodeInfo")
                    }
                },
            }
        },
    ),
    # --- Accounts ---------------------------------------------------------------------------
    Operation(
        "get",
        "/api/v1/accounts/verify_credentials",
        "mastodon_accounts_verify_credentials",
        "The token's own account",
        ref("MastodonCredentialAccount"),
        scopes=("read:accounts", "profile"),
    ),
    Operation(
        "patch",
        "/api/v1/accounts/update_credentials",
        "mastodon_accounts_update_credentials",
        "Update your profile",
        ref("MastodonCredentialAccount"),
        scopes=("write:accounts",),
        body=UPDATE_CREDENTIALS_JSON,
        form_body=UPDATE_CREDENTIALS_FORM,
        body_required=False,
        description="Form, multipart (with `avatar`) or JSON, through the validation of `PATCH /api/v1/users/me`. "
        "What we cannot store (a header image, a locked or bot account, default post settings) is accepted "
        "only with the value we already show; otherwise 422.",
    ),
    Operation(
        "get",
        "/api/v1/accounts/lookup",
        "mastodon_accounts_lookup",
        "An account by its username",
        ref("MastodonAccount"),
        scopes=("read:accounts",),
        anonymous=True,
        any_token=True,
        parameters=(query("acct", {"type": "string"}, "`name` or `name@this-host`.", required=True),),
        errors=("404",),
    ),
    Operation(
        "get",
        "/api/v1/accounts/relationships",
        "mastodon_accounts_relationships",
        "Your relationships to some accounts",
        array(ref("MastodonRelationship")),
        scopes=("read:follows",),
        parameters=(
            query(
                "id[]",
                array({"type": "string"}),
                "Account ids (`id` works too): the first 40; unknown ones are left out.",
            ),
        ),
    ),
    Operation(
        "get",
        "/api/v1/accounts/search",
        "mastodon_accounts_search",
        "Accounts whose username or display name starts with q",
        ACCOUNT_LIST,
        scopes=("read:accounts",),
        parameters=(
            query("q", {"type": "string"}, "The prefix (empty: no accounts)."),
            query("limit", {"type": "integer", "minimum": 0, "default": 40}, "Default 40, at most 80."),
            query("offset", {"type": "integer", "minimum": 0}, "Skip this many (at most 10000 are skipped)."),
            query("following", BOOLEAN_QUERY, "true: only accounts you follow."),
            query("resolve", BOOLEAN_QUERY, "Changes nothing: every account is local."),
        ),
    ),
    *(
        Operation(
            "get",
            f"/api/v1/{kind}",
            f"mastodon_{kind}",
            f"The accounts you {verb}",
            ACCOUNT_LIST,
            scopes=(f"read:{kind}", "follow"),
            parameters=(
                *PAGINATION[:3],
                query("limit", {"type": "integer", "minimum": 0, "default": 40}, "Default 40, at most 80."),
            ),
            paginated=True,
            description=f"Most recent first, paged by the {verb}'s id.",
        )
        for kind, verb in (("blocks", "block"), ("mutes", "mute"))
    ),
    Operation(
        "get",
        "/api/v1/accounts/{account_id}",
        "mastodon_account",
        "An account",
        ref("MastodonAccount"),
        scopes=("read:accounts",),
        anonymous=True,
        any_token=True,
        parameters=(ACCOUNT_ID,),
        errors=("404",),
        description="404 for a suspended account, or one that blocks you.",
    ),
    Operation(
        "get",
        "/api/v1/accounts/{account_id}/statuses",
        "mastodon_account_statuses",
        "An account's statuses",
        STATUS_LIST,
        scopes=("read:statuses",),
        anonymous=True,
        any_token=True,
        parameters=(
            ACCOUNT_ID,
            *PAGINATION,
            query("exclude_replies", BOOLEAN_QUERY),
            query("exclude_reblogs", BOOLEAN_QUERY),
            query("only_media", BOOLEAN_QUERY, "true: empty (no media here)."),
            query("pinned", BOOLEAN_QUERY, "true: empty (no pins here)."),
        ),
        paginated=True,
        errors=("404",),
    ),
    *(
        Operation(
            "get",
            f"/api/v1/accounts/{{account_id}}/{direction}",
            f"mastodon_account_{direction}",
            f"An account's {direction}",
            ACCOUNT_LIST,
            scopes=("read:accounts",),
            anonymous=True,
            any_token=True,
            parameters=(ACCOUNT_ID, *PAGINATION),
            paginated=True,
            errors=("404",),
            description="Most recent follow first, paged by the follow's id.",
        )
        for direction in ("followers", "following")
    ),
    _relationship_action("follow", "write:follows", "Follow an account"),
    _relationship_action("unfollow", "write:follows", "Unfollow an account"),
    _relationship_action("block", "write:blocks", "Block an account"),
    _relationship_action("unblock", "write:blocks", "Unblock an account"),
    _relationship_action("mute", "write:mutes", "Mute an account"),
    _relationship_action("unmute", "write:mutes", "Unmute an account"),
    # --- Statuses ---------------------------------------------------------------------------
    Operation(
        "post",
        "/api/v1/statuses",
        "mastodon_status_create",
        "Post a status",
        ref("MastodonStatus"),
        scopes=("write:statuses",),
        body=STATUS_CREATE_JSON,
        form_body=STATUS_CREATE_FORM,
        parameters=(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "A retry with the same key within an hour answers the first status.",
            },
        ),
        errors=("404",),
        description="JSON or form. Media and polls are refused (422): we have none.",
    ),
    Operation(
        "get",
        "/api/v1/statuses/{status_id}",
        "mastodon_status",
        "A status",
        ref("MastodonStatus"),
        scopes=("read:statuses",),
        anonymous=True,
        any_token=True,
        parameters=(STATUS_ID,),
        errors=("404",),
    ),
    Operation(
        "put",
        "/api/v1/statuses/{status_id}",
        "mastodon_status_edit",
        "Edit a status (its author only)",
        ref("MastodonStatus"),
        scopes=("write:statuses",),
        parameters=(STATUS_ID,),
        body=STATUS_EDIT,
        errors=("403", "404"),
    ),
    Operation(
        "delete",
        "/api/v1/statuses/{status_id}",
        "mastodon_status_delete",
        "Delete a status (its author or a moderator)",
        ref("MastodonDeletedStatus"),
        scopes=("write:statuses",),
        parameters=(STATUS_ID,),
        errors=("403", "404"),
    ),
    Operation(
        "get",
        "/api/v1/statuses/{status_id}/context",
        "mastodon_status_context",
        "A status's ancestors and descendants",
        ref("MastodonContext"),
        scopes=("read:statuses",),
        anonymous=True,
        any_token=True,
        parameters=(STATUS_ID,),
        errors=("404",),
    ),
    Operation(
        "get",
        "/api/v1/statuses/{status_id}/history",
        "mastodon_status_history",
        "A status's versions, oldest first (the current one last)",
        array(ref("MastodonStatusEdit"), minItems=1),
        scopes=("read:statuses",),
        anonymous=True,
        any_token=True,
        parameters=(STATUS_ID,),
        errors=("404",),
    ),
    Operation(
        "get",
        "/api/v1/statuses/{status_id}/source",
        "mastodon_status_source",
        "A status's plain text, to edit",
        ref("MastodonStatusSource"),
        scopes=("read:statuses",),
        any_token=True,
        parameters=(STATUS_ID,),
        errors=("404",),
    ),
    *(
        Operation(
            "get",
            f"/api/v1/statuses/{{status_id}}/{kind}",
            f"mastodon_status_{kind}",
            f"The accounts that {kind.removesuffix('_by')} a status",
            ACCOUNT_LIST,
            scopes=("read:statuses",),
            anonymous=True,
            any_token=True,
            parameters=(
                STATUS_ID,
                *PAGINATION[:3],
                query(
                    "limit",
                    {"type": "integer", "minimum": 0, "default": 40},
                    "Accounts per page: default 40, at most 80.",
                ),
            ),
            paginated=True,
            errors=("404",),
            description="Most recent first, paged by the favourite's or the reblog's id.",
        )
        for kind in ("favourited_by", "reblogged_by")
    ),
    _status_action("favourite", "write:favourites", "Favourite a status"),
    _status_action("unfavourite", "write:favourites", "Undo a favourite"),
    _status_action("reblog", "write:statuses", "Reblog a status"),
    _status_action("unreblog", "write:statuses", "Undo a reblog"),
    _status_action("bookmark", "write:bookmarks", "Bookmark a status"),
    _status_action("unbookmark", "write:bookmarks", "Remove a bookmark"),
    # --- Timelines --------------------------------------------------------------------------
    Operation(
        "get",
        "/api/v1/timelines/home",
        "mastodon_timeline_home",
        "The home timeline",
        STATUS_LIST,
        scopes=("read:statuses",),
        parameters=PAGINATION,
        paginated=True,
        description="The same home timeline as `GET /api/v1/timeline/home`.",
    ),
    Operation(
        "get",
        "/api/v1/timelines/public",
        "mastodon_timeline_public",
        "The public timeline",
        STATUS_LIST,
        scopes=("read:statuses",),
        anonymous=True,
        any_token=True,
        parameters=(
            *PAGINATION,
            query("local", BOOLEAN_QUERY, "Changes nothing: every account is local."),
            query("remote", BOOLEAN_QUERY, "true: empty."),
            query("only_media", BOOLEAN_QUERY, "true: empty."),
        ),
        paginated=True,
    ),
    Operation(
        "get",
        "/api/v1/timelines/tag/{tag}",
        "mastodon_timeline_tag",
        "A hashtag's timeline",
        STATUS_LIST,
        scopes=("read:statuses",),
        anonymous=True,
        any_token=True,
        parameters=(
            TAG,
            *PAGINATION,
            query("local", BOOLEAN_QUERY, "Changes nothing: every account is local."),
            query("remote", BOOLEAN_QUERY, "true: empty."),
            query("only_media", BOOLEAN_QUERY, "true: empty."),
        ),
        paginated=True,
    ),
    Operation(
        "get",
        "/api/v1/bookmarks",
        "mastodon_bookmarks",
        "Your bookmarks (Mastodon token)",
        STATUS_LIST,
        scopes=("read:bookmarks",),
        parameters=PAGINATION,
        paginated=True,
        description="Most recently bookmarked first, paged by the bookmark's id.",
    ),
    Operation(
        "get",
        "/api/v1/favourites",
        "mastodon_favourites",
        "Your favourites",
        STATUS_LIST,
        scopes=("read:favourites",),
        parameters=PAGINATION,
        paginated=True,
        description="Most recently favourited first, paged by the like's id.",
    ),
    # --- Notifications ----------------------------------------------------------------------
    Operation(
        "get",
        "/api/v1/notifications",
        "mastodon_notifications",
        "Your notifications (Mastodon token)",
        array(ref("MastodonNotification")),
        scopes=("read:notifications",),
        parameters=(
            *PAGINATION,
            query(
                "types[]",
                array({"type": "string"}),
                "Only these types (`types` works too); unknown ones match nothing.",
            ),
            query("exclude_types[]", array({"type": "string"}), "Not these types (`exclude_types` works too)."),
            query("account_id", {"type": "string"}, "Only from this account."),
        ),
        paginated=True,
    ),
    Operation(
        "post",
        "/api/v1/notifications/clear",
        "mastodon_notifications_clear",
        "Delete all your notifications",
        EMPTY_OBJECT,
        scopes=("write:notifications",),
        body_required=False,
    ),
    Operation(
        "get",
        "/api/v1/notifications/{notification_id}",
        "mastodon_notification",
        "One of your notifications",
        ref("MastodonNotification"),
        scopes=("read:notifications",),
        parameters=(NOTIFICATION_ID,),
        errors=("404",),
    ),
    Operation(
        "post",
        "/api/v1/notifications/{notification_id}/dismiss",
        "mastodon_notification_dismiss",
        "Delete one of your notifications",
        EMPTY_OBJECT,
        scopes=("write:notifications",),
        parameters=(NOTIFICATION_ID,),
        errors=("404",),
        description="Idempotent: `{}` also when it is already gone (404 only for what is not an id).",
    ),
    Operation(
        "get",
        "/api/v1/notifications/unread_count",
        "mastodon_notifications_unread_count",
        "How many notifications are newer than your notifications marker",
        ref("UnreadCount"),  # our component: the same {"count": n} as our unread count
        scopes=("read:notifications",),
        parameters=(
            query(
                "limit",
                {"type": "integer", "minimum": 0, "default": 100},
                "Count up to this many: default 100, at most 1000.",
            ),
            query("types[]", array({"type": "string"}), "Only these types (`types` works too)."),
            query("exclude_types[]", array({"type": "string"}), "Not these types (`exclude_types` works too)."),
        ),
        description="Mastodon 4.3: all of them when no notifications marker was saved; those about posts "
        "you can no longer see are not counted (nor listed).",
    ),
    # --- Markers -------------------------------------------------------------------------------
    Operation(
        "get",
        "/api/v1/markers",
        "mastodon_markers",
        "Your saved reading positions",
        ref("MastodonMarkers"),
        scopes=("read:statuses",),
        parameters=(
            query(
                "timeline[]",
                array({"type": "string"}),
                "`home` and/or `notifications` (`timeline` works too); none: `{}`; others are ignored.",
            ),
        ),
    ),
    Operation(
        "post",
        "/api/v1/markers",
        "mastodon_markers_save",
        "Save reading positions",
        ref("MastodonMarkers"),
        scopes=("write:statuses",),
        body=MARKERS_SAVE,
        form_body=MARKERS_SAVE_FORM,
        body_required=False,
        # Multipart works too, but is not listed: nothing here is a file, and daphne (the test
        # server) answers a POST multipart body without parts with its own bare 400.
        media_types=(JSON, FORM),
        description="Answers the markers saved; each save bumps its `version`.",
    ),
    # --- Search, trends, preferences ----------------------------------------------------------
    Operation(
        "get",
        "/api/v2/search",
        "mastodon_search",
        "Search accounts, statuses and hashtags",
        ref("MastodonSearch"),
        scopes=("read:search",),
        parameters=(
            query("q", {"type": "string"}, "What to look for (empty, or over 200 characters: nothing)."),
            query(
                "type", {"type": "string", "enum": ["accounts", "statuses", "hashtags"]}, "Only this kind (else 422)."
            ),
            LIMIT,
        ),
        description="Accounts by username or display-name prefix, statuses with every word, hashtags by the exact tag.",
    ),
    Operation(
        "get",
        "/api/v1/trends/tags",
        "mastodon_trends_tags",
        "Trending hashtags (the last 24 hours)",
        array(ref("MastodonTag")),
        anonymous=True,
        any_token=True,
        parameters=(LIMIT,),
    ),
    Operation(
        "get",
        "/api/v1/preferences",
        "mastodon_preferences",
        "Your preferences",
        ref("MastodonPreferences"),
        scopes=("read:accounts",),
    ),
    _empty_list("/api/v1/custom_emojis", "mastodon_custom_emojis", "Custom emojis", ("read",), anonymous=True),
    _empty_list("/api/v1/trends/statuses", "mastodon_trends_statuses", "Trending statuses", ("read",), anonymous=True),
    _empty_list("/api/v1/trends/links", "mastodon_trends_links", "Trending links", ("read",), anonymous=True),
    _empty_list("/api/v1/announcements", "mastodon_announcements", "Announcements", ("read",)),
    _empty_list("/api/v1/filters", "mastodon_filters_v1", "Filters (v1)", ("read:filters",)),
    _empty_list("/api/v2/filters", "mastodon_filters", "Filters", ("read:filters",)),
    _empty_list("/api/v1/lists", "mastodon_lists", "Lists", ("read:lists",)),
    _empty_list("/api/v1/followed_tags", "mastodon_followed_tags", "Followed hashtags", ("read:follows",)),
    _empty_list("/api/v1/follow_requests", "mastodon_follow_requests", "Follow requests", ("read:follows",)),
    # --- Streaming ----------------------------------------------------------------------------
    Operation(
        "get",
        "/api/v1/streaming",
        "mastodon_streaming_websocket",
        "Streaming over a WebSocket",
        scopes=STREAM_SCOPES,
        parameters=(
            STREAM_TOKEN,
            query(
                "stream",
                {
                    "type": "string",
                    "enum": ["user", "user:notification", "public", "public:local", "hashtag", "hashtag:local"],
                },
                "Subscribe at once.",
            ),
            query("tag", {"type": "string"}, "For `stream=hashtag`."),
        ),
        responses={
            "101": {
                "description": 'The WebSocket. Frames `{"stream": [...], "event": "update" | "notification" '
                '| "delete" | "status.update", "payload": "<JSON as a string>"}`; send '
                '`{"type": "subscribe" | "unsubscribe", "stream": ..., "tag": ...}` to change '
                "subscriptions. A revoked session closes with 4001.",
            }
        },
        description="A WebSocket endpoint (not plain HTTP): see docs/mastodon.md.",
    ),
    *(
        Operation(
            "get",
            f"/api/v1/streaming/{stream}",
            f"mastodon_streaming_{stream.replace('/', '_')}",
            f"Server-sent events: {stream.replace('/', ':')}",
            scopes=("read:notifications",) if stream == "user/notification" else STREAM_SCOPES,
            parameters=(STREAM_TOKEN, *((HASHTAG_QUERY,) if stream.startswith("hashtag") else ())),
            responses={"200": EVENT_STREAM},
            errors=("422", "503") if stream.startswith("hashtag") else ("503",),
            description="Errors before the stream starts are JSON.",
        )
        for stream in ("user", "user/notification", "public", "public/local", "hashtag", "hashtag/local")
    ),
)
