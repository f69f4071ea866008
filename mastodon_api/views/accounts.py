"""Mastodon's accounts endpoints."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from .. import presenters
from ..base import MastodonView
from ..selectors import last_status_at_for


class VerifyCredentialsView(MastodonView):
    """GET /api/v1/accounts/verify_credentials: the token's own account, with ``source``."""

    scopes = {"GET": ("read:accounts", "profile")}

    def get(self, request: Request) -> Response:
        user = request.user
        return Response(presenters.credential_account(request, user, last_status_at=last_status_at_for(user=user)))
