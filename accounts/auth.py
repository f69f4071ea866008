"""Authentication rules shared by login, JWT authentication and WebSocket authentication."""

from __future__ import annotations

from rest_framework_simplejwt.authentication import JWTAuthentication


def user_can_authenticate(user) -> bool:
    """Active and not suspended: the one rule for every way of authenticating."""
    return user is not None and user.is_active and not getattr(user, "is_suspended", False)


class BearerJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication, refusing suspended users' access tokens at once.

    The user row is read on every request, so suspension takes effect on the next request.
    """

    def get_user(self, validated_token):
        from rest_framework_simplejwt.exceptions import AuthenticationFailed

        user = super().get_user(validated_token)
        if not user_can_authenticate(user):
            raise AuthenticationFailed("This account is not active.", code="user_inactive")
        return user
