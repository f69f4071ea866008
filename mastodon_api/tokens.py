"""Who holds a Mastodon OAuth access token: for DRF's authentication (``oauth_token_lookup``,
one constant statement) and for code outside it (the rate limiter, the streaming connections and
their session watch)."""

from __future__ import annotations

import functools
import hashlib

from django.db import connection, router
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.request import Request

from accounts.models import User
from twitterclone.db import statement_cursor
from twitterclone.rows import instance_from_row

# The token's columns the authentication needs (the rest load on first use, as deferred fields).
TOKEN_COLUMNS = ("id", "user_id", "application_id", "expires", "scope", "resource")
_MEMO = "_mastodon_oauth_token"


@functools.cache
def _lookup_sql() -> tuple[str, tuple[str, ...]]:
    user_columns = tuple(field.attname for field in User._meta.concrete_fields)
    quote = connection.ops.quote_name
    selected = [f"t.{quote(name)}" for name in TOKEN_COLUMNS] + [f"u.{quote(name)}" for name in user_columns]
    sql = (
        f"SELECT {', '.join(selected)} FROM {AccessToken._meta.db_table} t "  # noqa: S608 - names only
        f"LEFT JOIN {User._meta.db_table} u ON u.id = t.user_id WHERE t.token_checksum = %s"
    )
    return sql, user_columns


def oauth_token_lookup(raw: str) -> AccessToken | None:
    """The stored access token with this raw value, its user row loaded with it (``token.user``,
    None for a client-credentials token), or None when there is none (never issued, revoked,
    replaced by a refresh). One constant statement on the checksum's index: what
    django-oauth-toolkit's ``_load_access_token`` reads, without building an ORM query (nor the
    application's row: ``token.application`` loads on first use). Says nothing about expiry."""
    sql, user_columns = _lookup_sql()
    checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    with statement_cursor() as cursor:
        cursor.execute(sql, [checksum])
        row = cursor.fetchone()
    if row is None:
        return None
    db = router.db_for_read(AccessToken)
    values = list(row[: len(TOKEN_COLUMNS)])
    resource = AccessToken._meta.get_field("resource")
    for converter in resource.get_db_converters(connection):
        values[-1] = converter(values[-1], None, connection)
    token = instance_from_row(AccessToken, db, TOKEN_COLUMNS, values)
    user = None
    if token.user_id is not None:
        user = instance_from_row(User, router.db_for_read(User), user_columns, row[len(TOKEN_COLUMNS) :])
    AccessToken.user.field.set_cached_value(token, user)
    return token


def oauth_token_of_request(request: HttpRequest | Request, raw: str) -> AccessToken | None:
    """``oauth_token_lookup(raw)``, read once per request: the rate limiter (before the view)
    and the authentication (in it) share one read."""
    http_request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    memo = getattr(http_request, _MEMO, None)
    if memo is not None and memo[0] == raw:
        return memo[1]
    token = oauth_token_lookup(raw)
    setattr(http_request, _MEMO, (raw, token))
    return token


def oauth_token_user_id(request: HttpRequest, raw: str) -> int | None:
    """The user id of the request's unexpired OAuth access token ``raw``, or None (unknown,
    expired, or a client-credentials token without a user)."""
    if not raw or len(raw) > 255:
        return None
    token = oauth_token_of_request(request, raw)
    return token.user_id if token is not None and not token.is_expired() else None


def oauth_tokens_current(token_ids: list[int]) -> list[bool]:
    """For each OAuth access token id (the open streaming connections of a process, on the
    session heartbeat): whether it still opens a session, in one query. Not current: deleted
    (``accounts.sessions.sessions_revoke`` deletes a user's tokens, a refresh replaces one),
    expired, or held by a user who may no longer authenticate (suspended, deactivated)."""
    current = set(
        AccessToken.objects.filter(
            pk__in=set(token_ids), expires__gt=timezone.now(), user__is_active=True, user__is_suspended=False
        ).values_list("pk", flat=True)
    )
    return [token_id in current for token_id in token_ids]
