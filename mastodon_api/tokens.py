"""Who holds a Mastodon OAuth access token, for code outside DRF's authentication (the rate
limiter)."""

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
