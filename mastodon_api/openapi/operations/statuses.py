"""Mastodon operations: statuses."""

from __future__ import annotations

from ..components import array, ref
from ._base import ACCOUNT_LIST, PAGINATION, STATUS_ID, Operation, query, status_action
from ._bodies import STATUS_CREATE_FORM, STATUS_CREATE_JSON, STATUS_EDIT


def _status_read(suffix: str, operation_id: str, summary: str, response: dict) -> Operation:
    """A GET of one status or of something of it that anyone may read, a visible status (404 otherwise)."""
    return Operation(
        "get",
        f"/api/v1/statuses/{{status_id}}{suffix}",
        operation_id,
        summary,
        response,
        scopes=("read:statuses",),
        anonymous=True,
        any_token=True,
        parameters=(STATUS_ID,),
        errors=("404",),
    )


OPERATIONS: tuple[Operation, ...] = (
    # --- Statuses ----------------------------------------------------------------------------------
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
    _status_read("", "mastodon_status", "A status", ref("MastodonStatus")),
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
    _status_read("/context", "mastodon_status_context", "A status's ancestors and descendants", ref("MastodonContext")),
    _status_read(
        "/history",
        "mastodon_status_history",
        "A status's versions, oldest first (the current one last)",
        array(ref("MastodonStatusEdit"), minItems=1),
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
    status_action("favourite", "write:favourites", "Favourite a status"),
    status_action("unfavourite", "write:favourites", "Undo a favourite"),
    status_action("reblog", "write:statuses", "Reblog a status"),
    status_action("unreblog", "write:statuses", "Undo a reblog"),
    status_action("bookmark", "write:bookmarks", "Bookmark a status"),
    status_action("unbookmark", "write:bookmarks", "Remove a bookmark"),
)
