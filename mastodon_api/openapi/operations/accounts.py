"""Mastodon operations: accounts."""

from __future__ import annotations

from ..components import array, ref
from ._base import (
    ACCOUNT_ID,
    ACCOUNT_LIST,
    BOOLEAN_QUERY,
    PAGINATION,
    STATUS_LIST,
    Operation,
    query,
    relationship_action,
)
from ._bodies import UPDATE_CREDENTIALS_FORM, UPDATE_CREDENTIALS_JSON

OPERATIONS: tuple[Operation, ...] = (
    # --- Accounts ----------------------------------------------------------------------------------
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
    relationship_action("follow", "write:follows", "Follow an account"),
    relationship_action("unfollow", "write:follows", "Unfollow an account"),
    relationship_action("block", "write:blocks", "Block an account"),
    relationship_action("unblock", "write:blocks", "Unblock an account"),
    relationship_action("mute", "write:mutes", "Mute an account"),
    relationship_action("unmute", "write:mutes", "Unmute an account"),
)
