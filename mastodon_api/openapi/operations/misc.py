"""Mastodon operations: markers, search, trends, preferences, empty lists and streaming."""

from __future__ import annotations

from ..components import array, ref
from ._base import (
    EVENT_STREAM,
    FORM,
    HASHTAG_QUERY,
    JSON,
    LIMIT,
    STREAM_SCOPES,
    STREAM_TOKEN,
    Operation,
    empty_list,
    query,
)
from ._bodies import MARKERS_SAVE, MARKERS_SAVE_FORM

OPERATIONS: tuple[Operation, ...] = (
    # --- Markers -----------------------------------------------------------------------------------
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
    # --- Search, trends, preferences ---------------------------------------------------------------
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
    empty_list("/api/v1/custom_emojis", "mastodon_custom_emojis", "Custom emojis", ("read",), anonymous=True),
    empty_list("/api/v1/trends/statuses", "mastodon_trends_statuses", "Trending statuses", ("read",), anonymous=True),
    empty_list("/api/v1/trends/links", "mastodon_trends_links", "Trending links", ("read",), anonymous=True),
    empty_list("/api/v1/announcements", "mastodon_announcements", "Announcements", ("read",)),
    empty_list("/api/v1/filters", "mastodon_filters_v1", "Filters (v1)", ("read:filters",)),
    empty_list("/api/v2/filters", "mastodon_filters", "Filters", ("read:filters",)),
    empty_list("/api/v1/lists", "mastodon_lists", "Lists", ("read:lists",)),
    empty_list("/api/v1/followed_tags", "mastodon_followed_tags", "Followed hashtags", ("read:follows",)),
    empty_list("/api/v1/follow_requests", "mastodon_follow_requests", "Follow requests", ("read:follows",)),
    # --- Streaming ---------------------------------------------------------------------------------
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
