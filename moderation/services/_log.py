"""The moderation log and the checks every moderator action shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from twitterclone.errors import Forbidden, InvalidInput

from ..models import ModerationAction, Report, ReportStatus

SNAPSHOT_MAX_LENGTH = 2000


def _require(moderator: User, *permissions: str) -> None:
    if not moderator.is_active or not moderator.is_staff or not moderator.has_perms(permissions):
        raise Forbidden("You do not have permission to do this.")


def _log(
    *,
    moderator: User,
    action: str,
    target_type: str,
    target_object_id: int,
    target_repr: str,
    subject_user_id: int | None,
    reason: str,
    report: Report | None = None,
    details: dict[str, Any] | None = None,
) -> ModerationAction:
    return ModerationAction.objects.create(
        moderator=moderator,
        moderator_username=moderator.get_username(),
        action=action,
        target_type=target_type,
        target_object_id=target_object_id,
        target_repr=target_repr[:SNAPSHOT_MAX_LENGTH],
        subject_user_id=subject_user_id,
        report=report,
        reason=reason.strip(),
        details=details or {},
    )


def _resolve_reports(reports: QuerySet[Report], *, moderator: User, action: str) -> int:
    """Resolves the open ones among ``reports``; returns how many."""
    return reports.open().update(
        status=ReportStatus.RESOLVED, resolved_by=moderator, resolved_at=timezone.now(), action_taken=action
    )


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Give a reason.", fields={"reason": ["A reason is required."]})
    return reason


@dataclass(frozen=True)
class Acted:
    """What one moderator action did, as its ``change`` reports it to ``moderator_act``: the
    target as the log names it, the reports the action settles (resolved after the change), and
    details of its own for the log entry."""

    target_type: str
    target_object_id: int
    target_repr: str
    subject_user_id: int | None
    reports: QuerySet[Report] | None = None
    details: dict[str, Any] = field(default_factory=dict)


def moderator_act(
    *,
    moderator: User,
    permission: str,
    action: str,
    reason: str,
    change: Callable[[str], Acted | None],
    guard: Callable[[], None] | None = None,
    report: Report | None = None,
    via: str | None = None,
) -> bool:
    """The one flow of every moderator action: act on a target, log it, side effects after commit.

    Checks the moderator's ``permission`` and that a ``reason`` is given, then runs ``guard``
    (the action's own refusals, which raise a domain error). In one transaction: ``change(reason)``
    locks and changes the target through the services that own it (whose side effects, such as
    socket pushes and tasks, leave only after commit through ``twitterclone.effects``) and
    returns what it did, or None when there was nothing to do; the reports it settles are
    resolved; one ``ModerationAction`` is appended. Returns False, with nothing logged, when
    ``change`` returned None. ``via`` ("admin" or "api"), when given, is logged."""
    _require(moderator, permission)
    reason = _clean_reason(reason)
    if guard is not None:
        guard()
    with transaction.atomic():
        acted = change(reason)
        if acted is None:
            return False
        details = dict(acted.details)
        if acted.reports is not None:
            details["reports_resolved"] = _resolve_reports(acted.reports, moderator=moderator, action=action)
        if via is not None:
            details["via"] = via
        _log(
            moderator=moderator,
            action=action,
            target_type=acted.target_type,
            target_object_id=acted.target_object_id,
            target_repr=acted.target_repr,
            subject_user_id=acted.subject_user_id,
            reason=reason,
            report=report,
            details=details,
        )
    return True
