"""Sessions: JWT pairs, their rotation, and revocation that really revokes.

Every access and refresh token carries the user's ``token_version`` (claim ``ver``) and the id of
its token family (claim ``fam``: one login and every refresh token rotated from it).

- A token is valid only while its ``ver`` equals the user's current version. ``sessions_revoke``
  bumps the version (password change or reset, deactivation, suspension, ``logout_all``), so every
  token of the user stops working at once, and closes the user's open sockets (4001).
- The current version lives in the cache (Redis in production), mirrored from the user row, so
  authenticating a request costs one cache read and no query (``access_token_is_current``). A
  bump writes the new version to the cache after commit. If the cache is unavailable the check
  reads the row instead; if a write to the cache was lost, an old access token can live at most
  until its own expiry (ACCESS_TOKEN_LIFETIME_SECONDS), since refreshing always reads the row.
- Presenting an already rotated refresh token is reuse, i.e. theft: the whole family is revoked,
  including its access tokens (a cache key checked in the same round trip as the version).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

import jwt
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from twitterclone import effects
from twitterclone.broadcast import user_group_name
from twitterclone.cache import cache_wire
from twitterclone.errors import InvalidInput, NotAuthenticated

from .auth import user_can_authenticate
from .models import TokenFamily, User

logger = logging.getLogger("twitterclone.accounts")

VERSION_CLAIM = "ver"
FAMILY_CLAIM = "fam"


def _version_key(user_id: Any) -> str:
    return f"accounts:token_version:{user_id}"


def _family_revoked_key(family_id: str) -> str:
    return f"accounts:token_family_revoked:{family_id}"


# --- Reads ----------------------------------------------------------------------------------------


def _version_from_database(user_id: Any) -> int | None:
    row = User.objects.filter(pk=user_id).values_list("token_version", "is_active", "is_suspended").first()
    if row is None or not row[1] or row[2]:
        return None
    return row[0]


def token_version_current(*, user_id: Any) -> int | None:
    """The user's current token version, or None when the user cannot authenticate (no such user,
    deactivated, suspended). One cache read; the user row only when the cache has no entry (the
    entry is then filled with ``add``, so it cannot overwrite a newer version written by a bump)."""
    key = _version_key(user_id)
    try:
        version = cache.get(key)
    except Exception:
        logger.warning("cache unavailable; reading the token version from the database")
        return _version_from_database(user_id)
    if version is not None:
        return version
    version = _version_from_database(user_id)
    if version is not None:
        try:
            cache.add(key, version, timeout=settings.TOKEN_VERSION_CACHE_SECONDS)
        except Exception:
            logger.warning("cache unavailable; token version of user %s not cached", user_id)
    return version


def revocation_read(claims: dict[str, Any]) -> tuple[str, ...] | None:
    """The Redis command that reads what ``access_token_is_current`` needs for these claims (the
    version and family keys, one MGET), for the rate limiter to send in its own round trip
    (``accounts.authentication.revocation_prefetch``); None when the cache is not Redis."""
    wire = cache_wire()
    user_id = claims.get(jwt_settings.USER_ID_CLAIM)
    if wire is None or user_id is None:
        return None
    family_id = claims.get(FAMILY_CLAIM)
    if family_id:
        return ("MGET", wire.prefix + _version_key(user_id), wire.prefix + _family_revoked_key(family_id))
    return ("MGET", wire.prefix + _version_key(user_id))


def _cached_token_state(claims: dict[str, Any], prefetched: list | None) -> tuple[Any, Any]:
    """(cached version, cached family revocation) of a token, each None when not cached: the
    reply of ``revocation_read`` (``prefetched`` by the rate limiter, or read now on the cache's
    wire), or ``cache.get_many`` when the cache is not Redis. Raises when the cache is unavailable."""
    wire = cache_wire()
    if wire is not None:
        reply = prefetched if prefetched is not None else wire.execute(revocation_read(claims))[0]
        return wire.load(reply[0]), wire.load(reply[1]) if len(reply) > 1 else None
    user_id, family_id = claims.get(jwt_settings.USER_ID_CLAIM), claims.get(FAMILY_CLAIM)
    keys = [_version_key(user_id)] + ([_family_revoked_key(family_id)] if family_id else [])
    found = cache.get_many(keys)
    return found.get(keys[0]), found.get(keys[1]) if family_id else None


def access_token_is_current(claims: dict[str, Any], *, prefetched: list | None = None) -> bool:
    """Whether a verified access token's claims are still valid: its version is the user's current
    one and its family has not been revoked. One cache round trip (both keys at once), or none
    when the rate limiter already made it for this request (``prefetched``: the reply of
    ``revocation_read(claims)``, read a moment ago in the same request; nothing is kept between
    requests, so a revocation from any process is seen by the next one)."""
    user_id = claims.get(jwt_settings.USER_ID_CLAIM)
    if user_id is None:
        return False
    family_id = claims.get(FAMILY_CLAIM)
    try:
        version, family_revoked = _cached_token_state(claims, prefetched)
    except Exception:
        logger.warning("cache unavailable; checking the token against the database")
        if family_id and TokenFamily.objects.filter(pk=family_id, revoked_at__isnull=False).exists():
            return False
        return _version_from_database(user_id) == claims.get(VERSION_CLAIM, 0)
    if family_revoked:
        return False
    if version is None:
        version = token_version_current(user_id=user_id)
    return version is not None and version == claims.get(VERSION_CLAIM, 0)


def access_tokens_current(claims_list: list[dict[str, Any]]) -> list[bool]:
    """``access_token_is_current`` for many tokens at once (the open sockets of a process, checked
    on their heartbeat): one cache round trip for all their versions and families; the rows only
    of users whose version is not cached, or of every token when the cache is unavailable."""
    keys: set[str] = set()
    for claims in claims_list:
        keys.add(_version_key(claims.get(jwt_settings.USER_ID_CLAIM)))
        if claims.get(FAMILY_CLAIM):
            keys.add(_family_revoked_key(claims[FAMILY_CLAIM]))
    try:
        found = cache.get_many(list(keys))
    except Exception:
        logger.warning("cache unavailable; checking socket sessions against the database")
        return [access_token_is_current(claims) for claims in claims_list]
    results = []
    for claims in claims_list:
        user_id = claims.get(jwt_settings.USER_ID_CLAIM)
        family_id = claims.get(FAMILY_CLAIM)
        if user_id is None or (family_id and found.get(_family_revoked_key(family_id))):
            results.append(False)
            continue
        version = found.get(_version_key(user_id))
        if version is None:
            version = found[_version_key(user_id)] = token_version_current(user_id=user_id)
        results.append(version is not None and version == claims.get(VERSION_CLAIM, 0))
    return results


# --- Issuing and rotating -------------------------------------------------------------------------


def _refresh_payload(raw: str) -> dict[str, Any]:
    """The payload of a refresh token with a valid signature and expiry; raises TokenError.
    Blacklisted tokens are decoded too: what a blacklisted token means is the caller's business."""
    payload = UntypedToken(raw).payload
    if payload.get(jwt_settings.TOKEN_TYPE_CLAIM) != "refresh":
        raise TokenError("Not a refresh token")
    return payload


def _family_id(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def tokens_for(user: User, *, family: TokenFamily | None = None) -> dict[str, str]:
    """A new refresh token (recorded as outstanding, so it can be revoked) and its access token, both
    carrying ``user.token_version``: the caller has just checked that this user may authenticate,
    and the version must come from the same read (a suspension committed in between bumps it, so
    these tokens are then refused). Without ``family`` this is a new login (a new family); with it,
    a rotation within that family."""
    refresh = RefreshToken()
    expires_at = datetime_from_epoch(refresh["exp"])
    if family is None:
        family = TokenFamily.objects.create(user=user, expires_at=expires_at)
    else:
        TokenFamily.objects.filter(pk=family.pk).update(expires_at=expires_at)
    refresh[jwt_settings.USER_ID_CLAIM] = str(user.pk)
    refresh[VERSION_CLAIM] = user.token_version
    refresh[FAMILY_CLAIM] = str(family.pk)
    OutstandingToken.objects.create(
        user=user,
        jti=refresh[jwt_settings.JTI_CLAIM],
        token=str(refresh),
        created_at=refresh.current_time,
        expires_at=expires_at,
    )
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


INVALID_REFRESH = "The refresh token is invalid, expired or revoked."


def token_refresh(*, refresh: str) -> dict[str, str]:
    """Rotates a refresh token: the given one is blacklisted and a new pair of the same family
    returned.

    Refused (401 ``token_not_valid``) when the token is invalid, expired, blacklisted, of an older
    token version, of a revoked family, or its user cannot authenticate. A blacklisted token of a
    live family is a reuse of a rotated token: the family is revoked (committed, although the
    request fails), so neither the thief nor the victim can go on with it. The outstanding-token
    row is locked, so concurrent uses of one token are serialised.

    Grace window: within ``REFRESH_TOKEN_REUSE_GRACE_SECONDS`` of its rotation, a rotated token
    is not reuse: it gets a fresh pair of the same family (a mobile client that sent its refresh
    twice on a flaky network keeps its session). Every other check still applies (version,
    family, user), so a token blacklisted by logout or revocation gets nothing."""
    invalid = NotAuthenticated(INVALID_REFRESH, code="token_not_valid")
    try:
        token = _refresh_payload(refresh)
    except TokenError:
        raise invalid from None
    family_id = _family_id(token.get(FAMILY_CLAIM))
    with transaction.atomic():
        outstanding = OutstandingToken.objects.select_for_update().filter(jti=token["jti"]).first()
        if outstanding is None:
            raise invalid
        family = TokenFamily.objects.select_for_update().filter(pk=family_id).first() if family_id else None
        blacklisted_at = (
            BlacklistedToken.objects.filter(token=outstanding).values_list("blacklisted_at", flat=True).first()
        )
        grace = timedelta(seconds=settings.REFRESH_TOKEN_REUSE_GRACE_SECONDS)
        in_grace = blacklisted_at is not None and timezone.now() - blacklisted_at <= grace
        if blacklisted_at is not None and not in_grace:  # reuse: theft
            if family is not None and family.revoked_at is None:
                _family_revoke(family, reason="reuse")  # committed: the request fails after the block
                logger.warning("refresh token reuse: token family %s of user %s revoked", family.pk, family.user_id)
            pair = None
        else:
            user = User.objects.filter(pk=token.get(jwt_settings.USER_ID_CLAIM)).first()
            if (
                not user_can_authenticate(user)
                or token.get(VERSION_CLAIM, 0) != user.token_version
                or (family is not None and family.revoked_at is not None)
                or (family_id is not None and family is None)
            ):
                raise invalid  # nothing written yet
            if in_grace:
                # The same client again (two refreshes in flight on a flaky network): a fresh pair
                # of the same family, not a theft. Logout (family revoked) and revocation (version
                # bumped) also blacklist, and are refused above.
                logger.info("refresh token %s presented again within the grace window", token["jti"])
            else:
                BlacklistedToken.objects.create(token=outstanding)
            pair = tokens_for(user, family=family)
    if pair is None:
        raise invalid
    return pair


# --- Revoking -------------------------------------------------------------------------------------


def _family_revoke(family: TokenFamily, *, reason: str) -> None:
    """Revokes a family: its refresh tokens are refused (the row), and its access tokens too (a
    cache key living as long as an access token can). The key is set at once, not after commit:
    should the transaction roll back, the family's access tokens are refused a few minutes too
    early, which fails safe."""
    TokenFamily.objects.filter(pk=family.pk).update(revoked_at=timezone.now(), revoked_reason=reason)
    timeout = int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()) + 60
    try:
        cache.set(_family_revoked_key(str(family.pk)), 1, timeout=timeout)
    except Exception:
        logger.warning("cache unavailable: access tokens of revoked family %s live until they expire", family.pk)


def _verified_refresh_payload(refresh: str) -> dict[str, Any]:
    """The payload of a refresh token whose signature is ours, expired or not; else InvalidInput."""
    bad = InvalidInput("Invalid refresh token.", fields={"refresh": ["Invalid refresh token."]})
    try:
        return _refresh_payload(refresh)
    except ExpiredTokenError:
        pass
    except TokenError:
        raise bad from None
    # Expired, yet signed by us: check the signature again, without the expiry.
    try:
        payload = jwt.decode(
            refresh,
            token_backend.get_verifying_key(refresh),
            algorithms=[token_backend.algorithm],
            options={"verify_exp": False, "verify_aud": False},
        )
    except (jwt.InvalidTokenError, TokenError):
        raise bad from None
    if payload.get(jwt_settings.TOKEN_TYPE_CLAIM) != "refresh":
        raise bad
    return payload


def token_logout(*, user: User, refresh: str) -> None:
    """Logs one session out: the refresh token is blacklisted and its family revoked (so the access
    tokens of that session stop working too). Only a token whose signature is ours and whose user
    is ``user`` is acted on; anything else is a 400 that changes nothing. Logging out twice is fine."""
    payload = _verified_refresh_payload(refresh)
    if str(payload.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise InvalidInput("Invalid refresh token.", fields={"refresh": ["Invalid refresh token."]})
    with transaction.atomic():
        outstanding = OutstandingToken.objects.filter(jti=payload.get("jti"), user_id=user.pk).first()
        if outstanding is not None:
            BlacklistedToken.objects.get_or_create(token=outstanding)
        family_id = _family_id(payload.get(FAMILY_CLAIM))
        family = TokenFamily.objects.filter(pk=family_id, user_id=user.pk, revoked_at__isnull=True).first()
        if family is not None:
            _family_revoke(family, reason="logout")


def _cache_call(method, *args, **kwargs) -> None:
    try:
        method(*args, **kwargs)
    except Exception:
        # The row is the truth: a stale cached version lets an old access token live at most until
        # its own expiry, since refreshing always reads the row.
        logger.warning("cache unavailable: token version not updated in the cache (%s)", args[0])


def _blacklist_outstanding(user: User) -> int:
    pending = OutstandingToken.objects.filter(user_id=user.pk, blacklistedtoken__isnull=True)
    rows = [BlacklistedToken(token=token) for token in pending]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _oauth_tokens_delete(user: User) -> None:
    from oauth2_provider.models import AccessToken, Grant, RefreshToken

    RefreshToken.objects.filter(user=user).delete()
    AccessToken.objects.filter(user=user).delete()
    Grant.objects.filter(user=user).delete()


def sessions_revoke(*, user: User) -> int:
    """Ends every session of the user at once: bumps the token version (every access and refresh
    token issued so far stops working on its next use), blacklists the outstanding refresh tokens,
    and after commit publishes the new version to the cache and closes the user's open sockets
    (``session.revoked`` to the user's group: consumers close with 4001).

    Called by password change and reset, deactivation (``User.save``), suspension and
    ``logout_all``. The user's OAuth tokens and pending authorization codes (Mastodon clients) are
    deleted in the same transaction. Returns how many refresh tokens were blacklisted."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
        version = User.objects.filter(pk=user.pk).values_list("token_version", flat=True).get()
        user.token_version = version
        revoked = _blacklist_outstanding(user)
        _oauth_tokens_delete(user)
        key = _version_key(user.pk)
        # Dropped now, so the next check reads the row (which this transaction already changed, and
        # others will see once it commits); written after commit. Never written early: a rollback
        # would leave the cache ahead of the row and lock the user out.
        _cache_call(cache.delete, key)
        effects.after_commit(_cache_call, cache.set, key, version, timeout=settings.TOKEN_VERSION_CACHE_SECONDS)
        effects.push_after_commit([(user_group_name(user.pk), {"type": "session.revoked"})])
    return revoked


def user_deleted_forget_version(sender: type, instance: User, **kwargs: Any) -> None:
    """post_delete of a user: drops the cached version, so the user's tokens are refused (the next
    check finds no row) instead of naming a user that no longer exists. Dropped again after
    commit: until then other connections still see the row, and a check there puts the version
    back (``cache.add``), which would keep the tokens valid and the request's user a row that is
    gone (a 500 on its first field read)."""
    key = _version_key(instance.pk)
    _cache_call(cache.delete, key)
    effects.after_commit(_cache_call, cache.delete, key)


def tokens_flush_expired(*, now=None) -> dict[str, int]:
    """Deletes expired refresh-token records: outstanding tokens past their expiry (their blacklist
    rows go with them) and token families whose newest token has expired. What is deleted could
    no longer be used anyway. Returns how many rows of each were deleted."""
    now = now or timezone.now()
    with transaction.atomic():
        blacklisted = BlacklistedToken.objects.filter(token__expires_at__lte=now).delete()[0]
        outstanding = OutstandingToken.objects.filter(expires_at__lte=now).delete()[0]
        families = TokenFamily.objects.filter(expires_at__lte=now - timedelta(seconds=60)).delete()[0]
    return {"outstanding": outstanding, "blacklisted": blacklisted, "families": families}
