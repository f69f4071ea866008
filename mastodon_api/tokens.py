"""Who holds a Mastodon OAuth access token, for code outside DRF's authentication (the rate
limiter, the streaming connections and their session watch)."""

from __future__ import annotations

import hashlib

from django.utils import timezone
from oauth2_provider.models import AccessToken


def oauth_token_user_id(raw: str) -> int | None:
    """The user id of an unexpired OAuth access token (one indexed query on its checksum), or None
    (unknown, expired, or a client-credentials token without a user)."""
    if not raw or len(raw) > 255:
        return None
    checksum = hashlib.sha256(raw.encode()).hexdigest()
    return (
        AccessToken.objects.filter(token_checksum=checksum, expires__gt=timezone.now())
        .values_list("user_id", flat=True)
        .first()
    )


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
