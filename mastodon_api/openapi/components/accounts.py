"""Accounts: the account, its credential form, relationships, preferences."""

from __future__ import annotations

from ._base import BOOLEAN, DATETIME, ID, INTEGER, STRING, URL, array, empty_array, nullable, obj, ref

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
