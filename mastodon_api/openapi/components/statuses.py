"""Statuses and what comes with them: edits, sources, context, markers, notifications, tags, search."""

from __future__ import annotations

from ._base import (
    BOOLEAN,
    DATETIME,
    ID,
    NOTIFICATION_TYPES,
    STRING,
    URL,
    VISIBILITIES_OUT,
    array,
    empty_array,
    nullable,
    obj,
    ref,
)

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
