"""Moderator actions on accounts: suspend, unsuspend, and the record of profile edits."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from accounts.models import User
from twitterclone.errors import Forbidden, InvalidInput

from ..models import ActionType, Report, TargetType
from ._log import Acted, _log, moderator_act

logger = logging.getLogger("twitterclone.moderation")


def _user_acted(user: User, **kwargs: Any) -> Acted:
    return Acted(
        target_type=TargetType.USER,
        target_object_id=user.pk,
        target_repr=f"@{user.username}",
        subject_user_id=user.pk,
        **kwargs,
    )


def _staff_only_by_superuser(user: User, moderator: User, verb: str) -> Callable[[], None]:
    def guard() -> None:
        if (user.is_staff or user.is_superuser) and not moderator.is_superuser:
            raise Forbidden(f"Only a superuser can {verb} a staff account.")

    return guard


def user_suspend(*, user: User, moderator: User, reason: str, report: Report | None = None) -> bool:
    """Suspends an account: it can no longer log in, every token it holds stops working at once and
    its open sockets are closed (``accounts.sessions.sessions_revoke``: the token version is
    bumped, ``session.revoked`` goes to the user's channel group after commit) and its tweets
    vanish for everyone else. Nothing is deleted: ``user_unsuspend`` restores it all.

    Resolves every open report on the user and on their tweets and rooms. Returns False (and
    changes nothing) when the user is already suspended. Staff accounts can be suspended only
    by a superuser, and nobody suspends themselves."""
    from accounts.services import sessions_revoke

    staff_guard = _staff_only_by_superuser(user, moderator, "suspend")

    def guard() -> None:
        if user.pk == moderator.pk:
            raise InvalidInput("You cannot suspend yourself.")
        staff_guard()

    def change(reason: str) -> Acted | None:
        if User.objects.select_for_update().get(pk=user.pk).is_suspended:
            return None
        now = timezone.now()
        # A plain update: the revocation is this service's, right below (it counts the tokens it
        # revokes for the log).
        User.objects.filter(pk=user.pk).update(is_suspended=True, suspended_at=now, suspension_reason=reason)
        user.is_suspended, user.suspended_at, user.suspension_reason = True, now, reason
        revoked = sessions_revoke(user=user)  # every token ends; sockets closed after commit
        return _user_acted(
            user,
            reports=Report.objects.about_user_or_their_content(user.pk),
            details={"refresh_tokens_revoked": revoked},
        )

    done = moderator_act(
        moderator=moderator,
        permission="moderation.suspend_user",
        action=ActionType.SUSPEND_USER,
        reason=reason,
        guard=guard,
        change=change,
        report=report,
    )
    if done:
        logger.info("user %s suspended by %s", user.pk, moderator.pk)
    return done


def user_unsuspend(*, user: User, moderator: User, reason: str) -> bool:
    """Lifts a suspension: the user can log in again and their tweets are visible as before.
    Returns False when the user was not suspended."""

    def change(reason: str) -> Acted | None:
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_suspended:
            return None
        previous = {
            "suspended_at": locked.suspended_at.isoformat() if locked.suspended_at else None,
            "suspension_reason": locked.suspension_reason,
        }
        User.objects.filter(pk=user.pk).update(is_suspended=False, suspended_at=None, suspension_reason="")
        user.is_suspended, user.suspended_at, user.suspension_reason = False, None, ""
        return _user_acted(user, details=previous)

    return moderator_act(
        moderator=moderator,
        permission="moderation.suspend_user",
        action=ActionType.UNSUSPEND_USER,
        reason=reason,
        guard=_staff_only_by_superuser(user, moderator, "unsuspend"),
        change=change,
    )


MODERATOR_EDITABLE_PROFILE_FIELDS = ("display_name", "bio", "location", "website", "avatar")


def user_profile_edit_record(*, user: User, moderator: User, changes: dict[str, tuple[Any, Any]], reason: str) -> None:
    """Records a profile edit made in the admin (the admin's form saves the fields)."""
    _log(
        moderator=moderator,
        action=ActionType.EDIT_USER,
        target_type=TargetType.USER,
        target_object_id=user.pk,
        target_repr=f"@{user.username}",
        subject_user_id=user.pk,
        reason=reason or "(no reason given)",
        details={"changes": {name: [str(old), str(new)] for name, (old, new) in changes.items()}},
    )
