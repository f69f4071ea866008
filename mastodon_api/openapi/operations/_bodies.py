"""Request bodies of the Mastodon operations (JSON, and the flat keys of their forms)."""

from __future__ import annotations

from twitterclone.schema import NOT_BLANK_PATTERN

from ..components import array, nullable, obj
from ._base import BODY_ID, PAGE_ID, Schema, form_flat

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
# In a form an empty flag is taken as not sent (``credentials._refuse_unstorable``), as JSON's null.
for _flag in ("locked", "bot", "discoverable", "hide_collections", "indexable"):
    _prop = UPDATE_CREDENTIALS_FORM["properties"][_flag]
    _prop["enum"] = [*_prop["enum"], ""]
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
