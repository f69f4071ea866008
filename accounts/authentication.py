"""Bearer JWT authentication that decodes the token once per request and reads no user row.

``access_claims(request)`` decodes and verifies the request's access token once (signature,
expiry, type) and memoizes the result on the request, so the rate limiter and DRF's
authentication share one decode. ``BearerJWTAuthentication`` then checks the token's version
and family with one cache read (``accounts.sessions.access_token_is_current``), or none when the
rate limiter already read them in its own round trip (``revocation_read_for``), and gives the view
a user whose fields load on first use, in one query: a view that needs only ``request.user.pk``
costs no user query at all.

A token's signature is checked once per process: a verified token is remembered by its raw
string (``_verified_token``, up to ``VERIFIED_TOKENS_KEPT`` of them), and a later request with
the same string only checks its expiry again. The same bytes verify the same way under the same
keys, and a change of the JWT settings (tests) forgets them all. Revocation is unaffected: it is
checked on every request, after this.
"""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed
from django.db import router
from django.dispatch import receiver
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework_simplejwt import utils as jwt_utils
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import AccessToken

from twitterclone.rows import instance_from_row

from .models import User

_MEMO = "_twitterclone_access_token"
VERIFIED_TOKENS_KEPT = 20_000
_verified: dict[str, AccessToken] = {}


def _verified_token(raw: str) -> AccessToken:
    """``AccessToken(raw)`` (signature, expiry, type: raises ``TokenError``), with the signature
    checked once per process for a given raw token."""
    token = _verified.get(raw)
    if token is not None:
        try:
            token.check_exp(current_time=jwt_utils.aware_utcnow())
        except TokenError:
            _verified.pop(raw, None)
            raise
        return token
    token = AccessToken(raw)
    if len(_verified) >= VERIFIED_TOKENS_KEPT:
        _verified.clear()
    _verified[raw] = token
    return token


@receiver(setting_changed)
def _forget_verified_tokens(*, setting: str, **kwargs) -> None:
    if setting in {"SIMPLE_JWT", "SECRET_KEY"}:
        _verified.clear()


class _Decoded:
    __slots__ = ("error", "prefetched", "present", "token")

    def __init__(self, present: bool, token: AccessToken | None, error: str | None) -> None:
        self.present, self.token, self.error = present, token, error
        self.prefetched: list | None = None  # the token check's Redis reply, read by the rate limiter


def _bearer(request: HttpRequest) -> tuple[bool, str | None]:
    """(whether the request has a Bearer Authorization header, the raw token if well formed)."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split()
    if not parts or parts[0] not in jwt_settings.AUTH_HEADER_TYPES:
        return False, None
    return True, parts[1] if len(parts) == 2 else None


def _decoded(request: HttpRequest | Request) -> _Decoded:
    # DRF's Request wraps Django's (not getattr(request, "_request", ...): on a Django request
    # that lookup fails, and a failed lookup builds an AttributeError).
    http_request = request._request if isinstance(request, Request) else request
    memo = getattr(http_request, _MEMO, None)
    if memo is None:
        present, raw = _bearer(http_request)
        token, error = None, None
        if raw is None:
            error = "Authorization header must contain two space-delimited values"
        else:
            try:
                token = _verified_token(raw)
            except TokenError as exc:
                error = str(exc.args[0]) if exc.args else "Token is invalid"
        memo = _Decoded(present, token, error)
        setattr(http_request, _MEMO, memo)
    return memo


def access_claims(request: HttpRequest | Request) -> dict[str, Any] | None:
    """The claims of the request's Bearer access token if its signature, expiry and type are
    valid, else None. Decoded once per request (memoized on it). Says nothing about revocation:
    that is the authentication's job (``BearerJWTAuthentication``)."""
    token = _decoded(request).token
    return token.payload if token is not None else None


def revocation_read_for(request: HttpRequest | Request) -> tuple[str, ...] | None:
    """The Redis read of the token check of the request's valid Bearer JWT
    (``accounts.sessions.revocation_read``), for the rate limiter to send with its limits; None
    without such a token or without a Redis cache."""
    token = _decoded(request).token
    if token is None:
        return None
    from .sessions import revocation_read

    return revocation_read(token.payload)


def revocation_prefetched(request: HttpRequest | Request, reply: list) -> None:
    """Hands the reply of ``revocation_read_for(request)`` to this request's authentication, which
    then checks the token without a round trip of its own. Kept on the request only."""
    _decoded(request).prefetched = reply


def user_with_id(user_id: Any) -> User:
    """A User whose only loaded field is its id: FKs and ``pk`` comparisons cost nothing, and the
    first read of any other field loads them all in one query (User.refresh_from_db)."""
    return instance_from_row(User, router.db_for_read(User), ("id",), (int(user_id),))


class BearerJWTAuthentication(JWTAuthentication):
    """simplejwt's Bearer authentication, with revocation and without a user query.

    Refuses (401) tokens that are malformed, expired, wrongly signed, not access tokens, of an
    older token version (password change, reset, suspension, deactivation, logout everywhere)
    or of a revoked family (logout, refresh-token reuse)."""

    def authenticate(self, request: Request) -> tuple[User, AccessToken] | None:
        decoded = _decoded(request)
        if not decoded.present:
            return None
        if decoded.token is None:
            raise InvalidToken(decoded.error or "Token is invalid")
        claims = decoded.token.payload
        user_id = claims.get(jwt_settings.USER_ID_CLAIM)
        try:
            user = user_with_id(user_id)
        except (TypeError, ValueError):
            raise InvalidToken("Token contained no recognizable user identification") from None
        # Imported here: DRF imports this module while twitterclone.errors (used by sessions) loads.
        from .sessions import access_token_is_current

        if not access_token_is_current(claims, prefetched=decoded.prefetched):
            raise AuthenticationFailed("The token has been revoked.", code="token_revoked")
        return user, decoded.token


def user_for_access_token(raw_token: str) -> User | None:
    """The user of an access token that is valid and current (version, family), with its row
    loaded, or None. For socket connects, where the token is not in an Authorization header."""
    from .auth import user_can_authenticate
    from .sessions import access_token_is_current

    try:
        claims = AccessToken(raw_token).payload
    except TokenError:
        return None
    if not access_token_is_current(claims):
        return None
    try:
        user = User.objects.filter(pk=claims.get(jwt_settings.USER_ID_CLAIM)).first()
    except (TypeError, ValueError):
        return None
    return user if user_can_authenticate(user) else None
