"""Mastodon's entities as OpenAPI component schemas, as this server sends them
(``mastodon_api/presenters.py``, ``entities.py`` and the views), named after
https://docs.joinmastodon.org/entities/ with a ``Mastodon`` prefix so that they never collide with
our own components (``Notification`` is ours, ``MastodonNotification`` Mastodon's).

``required`` lists what every answer carries; fields that only some answers have (the viewer's
``favourited`` on a status, for a request with a user) are optional."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
BOOLEAN: Schema = {"type": "boolean"}
INTEGER: Schema = {"type": "integer"}
ID: Schema = {"type": "string", "pattern": "^[0-9]+$", "description": "An id (a string: compare it, do not compute)."}
DATETIME: Schema = {"type": "string", "format": "date-time", "description": "ISO 8601 in UTC, with milliseconds."}
URL: Schema = {"type": "string", "format": "uri"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    if "$ref" in schema:
        return {"allOf": [schema], "nullable": True}
    return {**schema, "nullable": True}


def array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


def empty_array(description: str) -> Schema:
    return {"type": "array", "maxItems": 0, "items": {}, "description": description}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "object", "properties": {**required, **(optional or {})}, **extra}
    if required:  # an empty "required" is not valid OpenAPI 3.0
        schema["required"] = list(required)
    return schema


NOTIFICATION_TYPES = ["follow", "favourite", "reblog", "mention"]
VISIBILITIES_OUT = ["public", "private"]

FIELD = obj({"name": STRING, "value": STRING, "verified_at": nullable(DATETIME)})

ACCOUNT = obj(
    {
        "id": ID,
        "username": STRING,
        "acct": {"type": "string", "description": "The bare username: every account is local."},
        "display_name": STRING,
        "locked": BOOLEAN,
        "bot": BOOLEAN,
        "discoverable": BOOLEAN,
        "indexable": BOOLEAN,
        "group": BOOLEAN,
        "created_at": {**DATETIME, "description": "The day of joining, at midnight UTC (as Mastodon gives it)."},
        "note": {"type": "string", "description": "The bio as HTML (escaped, linked mentions and hashtags)."},
        "url": URL,
        "uri": URL,
        "avatar": URL,
        "avatar_static": URL,
        "header": URL,
        "header_static": URL,
        "followers_count": {"type": "integer", "minimum": 0},
        "following_count": {"type": "integer", "minimum": 0},
        "statuses_count": {"type": "integer", "minimum": 0},
        "last_status_at": nullable({"type": "string", "format": "date", "description": "Date of the latest post."}),
        "hide_collections": BOOLEAN,
        "noindex": BOOLEAN,
        "emojis": empty_array("No custom emojis here."),
        "roles": empty_array("No public roles here."),
        "fields": array(FIELD, description="Our website and location as profile fields (values as HTML)."),
    },
    description="https://docs.joinmastodon.org/entities/Account/",
)

CREDENTIAL_ACCOUNT = {
    "allOf": [
        ref("MastodonAccount"),
        obj(
            {
                "source": obj(
                    {
                        "privacy": {"type": "string", "enum": ["public", "private"]},
                        "sensitive": BOOLEAN,
                        "language": STRING,
                        "note": {"type": "string", "description": "The bio as typed."},
                        "fields": array(FIELD, description="Profile fields with their raw values."),
                        "follow_requests_count": INTEGER,
                        "hide_collections": BOOLEAN,
                        "discoverable": BOOLEAN,
                        "indexable": BOOLEAN,
                    }
                ),
                "role": obj(
                    {"id": STRING, "name": STRING, "permissions": STRING, "color": STRING, "highlighted": BOOLEAN}
                ),
            }
        ),
    ],
    "description": "The token's own Account, with `source` (https://docs.joinmastodon.org/entities/Account/#CredentialAccount).",
}

STATUS_MENTION = obj({"id": ID, "username": STRING, "acct": STRING, "url": URL})
STATUS_TAG = obj({"name": STRING, "url": URL})

STATUS = obj(
    {
        "id": ID,
        "uri": URL,
        "url": nullable(URL),
        "created_at": DATETIME,
        "edited_at": nullable(DATETIME),
        "account": ref("MastodonAccount"),
        "content": {"type": "string", "description": "HTML; empty for a reblog."},
        "visibility": {
            "type": "string",
            "enum": VISIBILITIES_OUT,
            "description": "`private` is our followers-only visibility.",
        },
        "sensitive": BOOLEAN,
        "spoiler_text": STRING,
        "language": nullable(STRING),
        "media_attachments": empty_array("No media here yet."),
        "application": nullable(obj({"name": STRING}, {"website": nullable(STRING)})),
        "mentions": array(STATUS_MENTION),
        "tags": array(STATUS_TAG),
        "emojis": empty_array("No custom emojis here."),
        "reblogs_count": {"type": "integer", "minimum": 0},
        "favourites_count": {"type": "integer", "minimum": 0},
        "replies_count": {"type": "integer", "minimum": 0},
        "in_reply_to_id": nullable(ID),
        "in_reply_to_account_id": nullable(ID),
        "reblog": nullable(ref("MastodonStatus")),
        "poll": {"type": "object", "nullable": True, "description": "Always null: no polls here yet."},
        "card": {"type": "object", "nullable": True, "description": "Always null: no preview cards."},
        "filtered": empty_array("No filters here."),
    },
    {
        "favourited": {**BOOLEAN, "description": "For a request with a user only."},
        "reblogged": {**BOOLEAN, "description": "For a request with a user only."},
        "bookmarked": {**BOOLEAN, "description": "For a request with a user only."},
        "muted": {**BOOLEAN, "description": "For a request with a user only."},
        "pinned": {**BOOLEAN, "description": "For a request with a user only."},
    },
    description="https://docs.joinmastodon.org/entities/Status/",
)

DELETED_STATUS = {
    "allOf": [ref("MastodonStatus"), obj({"text": {"type": "string", "description": "The source text."}})],
    "description": "The deleted status with its source `text`, for delete-and-redraft.",
}

STATUS_EDIT = obj(
    {
        "content": {"type": "string", "description": "HTML of that version."},
        "spoiler_text": STRING,
        "sensitive": BOOLEAN,
        "created_at": DATETIME,
        "account": ref("MastodonAccount"),
        "poll": {"type": "object", "nullable": True, "description": "Always null."},
        "media_attachments": empty_array("No media here yet."),
        "emojis": empty_array("No custom emojis here."),
    },
    description="https://docs.joinmastodon.org/entities/StatusEdit/",
)

STATUS_SOURCE = obj(
    {"id": ID, "text": {"type": "string", "description": "The plain text, to edit."}, "spoiler_text": STRING},
    description="https://docs.joinmastodon.org/entities/StatusSource/",
)

MARKER = obj({"last_read_id": ID, "version": {"type": "integer", "minimum": 0}, "updated_at": DATETIME})
MARKERS = obj(
    {},
    {"home": MARKER, "notifications": MARKER},
    description="The saved positions by timeline (https://docs.joinmastodon.org/entities/Marker/); a timeline "
    "with no saved position is left out.",
)

CONTEXT = obj({"ancestors": array(ref("MastodonStatus")), "descendants": array(ref("MastodonStatus"))})

NOTIFICATION = obj(
    {
        "id": ID,
        "type": {
            "type": "string",
            "enum": NOTIFICATION_TYPES,
            "description": "Ours in Mastodon's words: like is `favourite`, retweet `reblog`; reply, mention and "
            "quote are `mention`. Our `room_live` has no Mastodon type and is not listed.",
        },
        "created_at": DATETIME,
        "account": ref("MastodonAccount"),
        "status": nullable(ref("MastodonStatus")),
        "group_key": STRING,
    },
    description="https://docs.joinmastodon.org/entities/Notification/",
)

RELATIONSHIP = obj(
    {
        "id": ID,
        "following": BOOLEAN,
        "showing_reblogs": BOOLEAN,
        "notifying": BOOLEAN,
        "languages": nullable(array(STRING)),
        "followed_by": BOOLEAN,
        "blocking": BOOLEAN,
        "blocked_by": BOOLEAN,
        "muting": BOOLEAN,
        "muting_notifications": BOOLEAN,
        "requested": BOOLEAN,
        "requested_by": BOOLEAN,
        "domain_blocking": BOOLEAN,
        "endorsed": BOOLEAN,
        "note": STRING,
    },
    description="https://docs.joinmastodon.org/entities/Relationship/",
)

TAG = obj(
    {
        "name": STRING,
        "url": URL,
        "history": array(obj({"day": STRING, "uses": STRING, "accounts": STRING})),
        "following": BOOLEAN,
    },
    description="https://docs.joinmastodon.org/entities/Tag/",
)

SEARCH = obj(
    {
        "accounts": array(ref("MastodonAccount")),
        "statuses": array(ref("MastodonStatus")),
        "hashtags": array(ref("MastodonTag")),
    },
    description="https://docs.joinmastodon.org/entities/Search/",
)

APPLICATION = obj(
    {
        "id": ID,
        "name": STRING,
        "website": nullable(STRING),
        "scopes": array(STRING),
        "redirect_uri": {"type": "string", "description": "The redirect URIs, newline-joined."},
        "redirect_uris": array(STRING),
        "vapid_key": {"type": "string", "description": "Empty: no Web Push here."},
    },
    description="https://docs.joinmastodon.org/entities/Application/",
)

CREDENTIAL_APPLICATION = {
    "allOf": [
        ref("MastodonApplication"),
        obj(
            {
                "client_id": STRING,
                "client_secret": {"type": "string", "description": "Shown only here (stored hashed)."},
                "client_secret_expires_at": {"type": "integer", "enum": [0]},
            }
        ),
    ],
    "description": "A newly registered Application, with its credentials.",
}

TOKEN = obj(
    {
        "access_token": STRING,
        "token_type": {"type": "string", "enum": ["Bearer"]},
        "scope": {"type": "string", "description": "Space-separated: every scope asked for."},
        "created_at": INTEGER,
    },
    {
        "expires_in": {"type": "integer", "description": "Mastodon clients ignore it."},
        "refresh_token": {"type": "string", "description": "Mastodon clients ignore it."},
    },
    description="https://docs.joinmastodon.org/entities/Token/",
)

ERROR = obj(
    {"error": {"type": "string", "description": "What went wrong, for a human."}},
    {"error_description": {"type": "string", "description": "OAuth endpoints: the details."}},
    description="https://docs.joinmastodon.org/entities/Error/ (the OAuth endpoints' `error` is an OAuth "
    "error code such as `invalid_grant`, with `error_description`).",
)

PREFERENCES = obj(
    {
        "posting:default:visibility": {"type": "string", "enum": ["public", "unlisted", "private", "direct"]},
        "posting:default:sensitive": BOOLEAN,
        "posting:default:language": nullable(STRING),
        "reading:expand:media": {"type": "string", "enum": ["default", "show_all", "hide_all"]},
        "reading:expand:spoilers": BOOLEAN,
    },
    description="https://docs.joinmastodon.org/entities/Preferences/",
)

_COUNT = {"type": "integer", "minimum": 0}
_MEDIA_CONFIGURATION = obj(
    {
        "supported_mime_types": array(STRING),
        "image_size_limit": _COUNT,
        "image_matrix_limit": _COUNT,
        "video_size_limit": _COUNT,
        "video_frame_rate_limit": _COUNT,
        "video_matrix_limit": _COUNT,
    }
)
_POLLS_CONFIGURATION = obj(
    {"max_options": _COUNT, "max_characters_per_option": _COUNT, "min_expiration": _COUNT, "max_expiration": _COUNT}
)
_STATUSES_CONFIGURATION = obj(
    {"max_characters": _COUNT, "max_media_attachments": _COUNT, "characters_reserved_per_url": _COUNT}
)
_ACCOUNTS_CONFIGURATION = obj({"max_featured_tags": _COUNT, "max_pinned_statuses": _COUNT})
_CONFIGURATION = {
    "accounts": _ACCOUNTS_CONFIGURATION,
    "statuses": _STATUSES_CONFIGURATION,
    "media_attachments": _MEDIA_CONFIGURATION,
    "polls": _POLLS_CONFIGURATION,
}
_STREAMING_URL = {"type": "string", "pattern": "^wss?://", "description": "`ws://` or `wss://` of this host."}
_RULES = empty_array("No server rules.")

INSTANCE_V1 = obj(
    {
        "uri": STRING,
        "title": STRING,
        "short_description": STRING,
        "description": STRING,
        "email": STRING,
        "version": {"type": "string", "description": "`4.2.0 (compatible; twitterclone <version>)`"},
        "urls": obj({"streaming_api": _STREAMING_URL}),
        "stats": obj({"user_count": _COUNT, "status_count": _COUNT, "domain_count": _COUNT}),
        "thumbnail": nullable(STRING),
        "languages": array(STRING),
        "registrations": BOOLEAN,
        "approval_required": BOOLEAN,
        "invites_enabled": BOOLEAN,
        "configuration": obj(_CONFIGURATION),
        "contact_account": nullable(ref("MastodonAccount")),
        "rules": _RULES,
    },
    description="https://docs.joinmastodon.org/entities/V1_Instance/",
)

_FEED_ACCESS = {"type": "string", "enum": ["public", "authenticated", "disabled"]}
_FEEDS = obj({"local": _FEED_ACCESS, "remote": _FEED_ACCESS})

INSTANCE_V2 = obj(
    {
        "domain": STRING,
        "title": STRING,
        "version": {"type": "string", "description": "`4.2.0 (compatible; twitterclone <version>)`"},
        "source_url": STRING,
        "description": STRING,
        "usage": obj({"users": obj({"active_month": _COUNT})}),
        "thumbnail": obj({"url": URL}),
        "icon": array(obj({"src": URL, "size": STRING})),
        "languages": array(STRING),
        "configuration": obj(
            {
                **_CONFIGURATION,
                "urls": obj({"streaming": _STREAMING_URL, "status": nullable(STRING)}),
                "vapid": obj({"public_key": STRING}),
                "translation": obj({"enabled": BOOLEAN}),
                "timelines_access": obj({"live_feeds": _FEEDS, "hashtag_feeds": _FEEDS, "trending_link_feeds": _FEEDS}),
            }
        ),
        "registrations": obj(
            {"enabled": BOOLEAN, "approval_required": BOOLEAN, "message": nullable(STRING), "url": nullable(STRING)}
        ),
        "api_versions": obj({"mastodon": INTEGER}),
        "contact": obj({"email": STRING, "account": nullable(ref("MastodonAccount"))}),
        "rules": _RULES,
    },
    description="https://docs.joinmastodon.org/entities/Instance/",
)

NODEINFO_LINKS = obj({"links": array(obj({"rel": STRING, "href": URL}), minItems=1)})

NODEINFO = obj(
    {
        "version": {"type": "string", "enum": ["2.0"]},
        "software": obj({"name": STRING, "version": STRING}),
        "protocols": array(STRING, description="Empty: this server does not federate."),
        "services": obj({"inbound": array(STRING), "outbound": array(STRING)}),
        "usage": obj(
            {
                "users": obj({"total": _COUNT, "activeMonth": _COUNT, "activeHalfyear": _COUNT}),
                "localPosts": _COUNT,
            }
        ),
        "openRegistrations": BOOLEAN,
        "metadata": obj({"nodeName": STRING, "scopes": array(STRING)}),
    },
    description="http://nodeinfo.diaspora.software/ns/schema/2.0",
)

AUTHORIZATION_SERVER_METADATA = obj(
    {
        "issuer": URL,
        "service_documentation": URL,
        "authorization_endpoint": URL,
        "token_endpoint": URL,
        "revocation_endpoint": URL,
        "app_registration_endpoint": URL,
        "scopes_supported": array(STRING),
        "response_types_supported": array(STRING),
        "response_modes_supported": array(STRING),
        "grant_types_supported": array(STRING),
        "code_challenge_methods_supported": array(STRING),
        "token_endpoint_auth_methods_supported": array(STRING),
    },
    description="RFC 8414 authorization server metadata.",
)

COMPONENTS: dict[str, Schema] = {
    "MastodonAccount": ACCOUNT,
    "MastodonCredentialAccount": CREDENTIAL_ACCOUNT,
    "MastodonStatus": STATUS,
    "MastodonDeletedStatus": DELETED_STATUS,
    "MastodonStatusEdit": STATUS_EDIT,
    "MastodonStatusSource": STATUS_SOURCE,
    "MastodonMarkers": MARKERS,
    "MastodonContext": CONTEXT,
    "MastodonNotification": NOTIFICATION,
    "MastodonRelationship": RELATIONSHIP,
    "MastodonTag": TAG,
    "MastodonSearch": SEARCH,
    "MastodonApplication": APPLICATION,
    "MastodonCredentialApplication": CREDENTIAL_APPLICATION,
    "MastodonToken": TOKEN,
    "MastodonError": ERROR,
    "MastodonPreferences": PREFERENCES,
    "MastodonInstanceV1": INSTANCE_V1,
    "MastodonInstance": INSTANCE_V2,
    "MastodonNodeInfoLinks": NODEINFO_LINKS,
    "MastodonNodeInfo": NODEINFO,
    "MastodonAuthorizationServerMetadata": AUTHORIZATION_SERVER_METADATA,
}
