"""The report queue: dismissing reports and its one-click actions."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from twitterclone.errors import InvalidInput

from ..models import ActionType, Report, ReportStatus, TargetType
from ._log import Acted, _clean_reason, _require, _resolve_reports, moderator_act
from .content import room_end_by_moderator, tweet_hide, tweet_remove
from .users import user_suspend


def report_dismiss(*, report: Report, moderator: User, reason: str = "") -> bool:
    """Resolves a report without acting on its target. Returns False if it was already resolved."""

    def change(reason: str) -> Acted | None:
        if not _resolve_reports(
            Report.objects.filter(pk=report.pk), moderator=moderator, action=ActionType.DISMISS_REPORT
        ):
            return None
        return Acted(
            target_type=report.target_type,
            target_object_id=report.target_object_id,
            target_repr=report.target_snapshot or f"{report.target_type} {report.target_object_id}",
            subject_user_id=report_subject_user_id(report),
        )

    if not moderator_act(
        moderator=moderator,
        permission="moderation.change_report",
        action=ActionType.DISMISS_REPORT,
        reason=reason.strip() or "Dismissed.",
        change=change,
        report=report,
    ):
        return False
    report.refresh_from_db()
    return True


def report_subject_user_id(report: Report) -> int | None:
    """The user a report is about: the reported user, or the author or host of the content."""
    if report.target_type == TargetType.USER:
        return report.target_user_id
    if report.target_type == TargetType.TWEET and report.target_tweet_id:
        return report.target_tweet.author_id
    if report.target_type == TargetType.ROOM and report.target_room_id:
        return report.target_room.host_id
    return None


class ReportAction:
    """The one-click actions of the report queue."""

    SUSPEND = "suspend"
    HIDE = "hide"
    DELETE = "delete"
    END_ROOM = "end_room"
    DISMISS = "dismiss"

    LABELS = {
        SUSPEND: "Suspend user",
        HIDE: "Hide tweet",
        DELETE: "Delete tweet",
        END_ROOM: "End room",
        DISMISS: "Dismiss",
    }


def report_available_actions(report: Report) -> list[str]:
    """The queue actions that make sense for this report's target as it is now."""
    if report.status != ReportStatus.OPEN:
        return []
    actions = []
    subject_id = report_subject_user_id(report)
    if subject_id is not None:
        actions.append(ReportAction.SUSPEND)
    if report.target_type == TargetType.TWEET and report.target_tweet_id:
        if not report.target_tweet.is_hidden:
            actions.append(ReportAction.HIDE)
        actions.append(ReportAction.DELETE)
    if report.target_type == TargetType.ROOM and report.target_room_id and report.target_room.state == "live":
        actions.append(ReportAction.END_ROOM)
    actions.append(ReportAction.DISMISS)
    return actions


def report_act(*, report: Report, moderator: User, action: str, reason: str) -> str:
    """Carries out one queue action on a report's target and resolves the report (and every other
    open report that the action settles). Returns a human summary for the moderator."""
    _require(moderator, "moderation.change_report")
    if action not in report_available_actions(report):
        raise InvalidInput(f"'{action}' is not possible for this report (it may already be resolved).")
    reason = _clean_reason(reason)
    if action == ReportAction.DISMISS:
        report_dismiss(report=report, moderator=moderator, reason=reason)
        return f"Report #{report.pk} dismissed."
    if action == ReportAction.SUSPEND:
        subject = User.objects.get(pk=report_subject_user_id(report))
        with transaction.atomic():
            done = user_suspend(user=subject, moderator=moderator, reason=reason, report=report)
            if not done:  # already suspended: the report is settled all the same
                _resolve_reports(
                    Report.objects.filter(pk=report.pk), moderator=moderator, action=ActionType.SUSPEND_USER
                )
        return f"@{subject.username} suspended." if done else f"@{subject.username} was already suspended."
    if action == ReportAction.HIDE:
        tweet_hide(tweet=report.target_tweet, moderator=moderator, reason=reason, report=report)
        return f"Tweet {report.target_object_id} hidden."
    if action == ReportAction.DELETE:
        tweet_remove(tweet=report.target_tweet, moderator=moderator, reason=reason, report=report)
        return f"Tweet {report.target_object_id} deleted."
    if action == ReportAction.END_ROOM:
        room_end_by_moderator(room=report.target_room, moderator=moderator, reason=reason, report=report)
        return f"Room {report.target_object_id} ended."
    raise InvalidInput("Unknown action.")  # pragma: no cover - guarded above
