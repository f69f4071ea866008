"""The rule shared by login, token refresh and WebSocket authentication (the Bearer authentication
of requests is in ``accounts.authentication``)."""

from __future__ import annotations


def user_can_authenticate(user) -> bool:
    """Active and not suspended: the one rule for every way of authenticating."""
    return user is not None and user.is_active and not getattr(user, "is_suspended", False)
