"""The moderation log and the checks every moderator action shares."""

from __future__ import annotations

from typing import Any

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
