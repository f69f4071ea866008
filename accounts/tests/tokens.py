"""Token helpers shared by the accounts tests."""

from datetime import timedelta

import jwt
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken


def past_the_grace(refresh: str) -> None:
    """Moves a rotated refresh token's rotation back beyond the reuse grace window
    (``REFRESH_TOKEN_REUSE_GRACE_SECONDS``), as if it were presented again much later."""
    jti = jwt.decode(refresh, options={"verify_signature": False})["jti"]
    back = timezone.now() - timedelta(seconds=settings.REFRESH_TOKEN_REUSE_GRACE_SECONDS + 1)
    assert BlacklistedToken.objects.filter(token__jti=jti).update(blacklisted_at=back) == 1
