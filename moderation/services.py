"""Moderation writes: reports from users, and every moderator action.

Each moderator action (suspend, unsuspend, hide, unhide, delete, end room, dismiss, profile edit)
goes through one function here, which checks the moderator's permission, changes the target,
resolves the open reports it settles and appends one ``ModerationAction`` to the log, all in one
transaction; socket and other side effects leave only after commit. The admin calls these; it
never writes the models itself.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from twitterclone.broadcast import group_send_on_commit, user_group_name
from twitterclone.errors import Forbidden, InvalidInput, NotFound

from .models import ActionType, ModerationAction, Report, ReportCategory, ReportStatus, TargetType

logger = logging.getLogger("twitterclone.moderation")

COMMENT_MAX_LENGTH = 1000
SNAPSHOT_MAX_LENGTH = 2000


# --- Reports from users --------------------------------------------------------------------------


def _snapshot_tweet(tweet) -> str:
    return f"@{tweet.author.username}: {tweet.text}"[:SNAPSHOT_MAX_LENGTH]


def _snapshot_user(user: User) -> str:
    parts = [f"@{user.username}", user.display_name, user.bio, user.location, user.website]
    return "\n".join(p for p in parts if p)[:SNAPSHOT_MAX_LENGTH]


def _snapshot_room(room) -> str:
    return f"{room.title}\n{room.description}".strip()[:SNAPSHOT_MAX_LENGTH]


def _resolve_target(*, reporter: User, target_type: str, target: Any) -> tuple[dict[str, Any], str]:
    """The foreign key, object id and snapshot of a target as the reporter may see it.

    A target the reporter may not see is a NotFound, exactly like one that does not exist."""
    if target_type == TargetType.TWEET:
        from tweets.models import Tweet

        tweet = Tweet.objects.visible_to(reporter).select_related("author").filter(pk=target).first()
        if tweet is None:
            raise NotFound("No such tweet.")
        if tweet.author_id == reporter.pk:
            raise InvalidInput("You cannot report your own tweet.", fields={"tweet": ["This is your own tweet."]})
        return {"target_tweet": tweet, "target_object_id": tweet.pk}, _snapshot_tweet(tweet)
    if target_type == TargetType.USER:
        from accounts.selectors import user_get_visible

        user = user_get_visible(username=target, viewer=reporter)
        if user.pk == reporter.pk:
            raise InvalidInput("You cannot report yourself.", fields={"user": ["This is you."]})
        return {"target_user": user, "target_object_id": user.pk}, _snapshot_user(user)
    if target_type == TargetType.ROOM:
        from rooms.selectors import room_visible

        room = room_visible(room_id=target, viewer=reporter)
        if room.host_id == reporter.pk:
            raise InvalidInput("You cannot report your own room.", fields={"room": ["This is your own room."]})
        return {"target_room": room, "target_object_id": room.pk}, _snapshot_room(room)
    raise InvalidInput("Unknown target type.", fields={"target_type": ["Give a tweet, a user or a room."]})


def report_create(
    *, reporter: User, target_type: str, target: Any, category: str = ReportCategory.OTHER, comment: str = ""
) -> tuple[Report, bool]:
    """Files a report of a tweet (by id), a user (by username) or a room (by id).

    Returns ``(report, created)``. While the reporter's earlier report on the same target is
    still open, that report is returned unchanged and nothing is created (a database constraint
    decides when two reports race). Raises NotFound for a target the reporter may not see and
    InvalidInput for reporting oneself or one's own content."""
    if category not in ReportCategory.values:
        raise InvalidInput("Unknown category.", fields={"category": [f"One of {', '.join(ReportCategory.values)}."]})
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise InvalidInput(
            "The comment is too long.", fields={"comment": [f"At most {COMMENT_MAX_LENGTH} characters."]}
        )
    target_fields, snapshot = _resolve_target(reporter=reporter, target_type=target_type, target=target)
    object_id = target_fields["target_object_id"]
    existing = _open_report(reporter=reporter, target_type=target_type, object_id=object_id)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter,
                target_type=target_type,
                target_snapshot=snapshot,
                category=category,
                comment=comment,
                **target_fields,
            )
    except IntegrityError:
        existing = _open_report(reporter=reporter, target_type=target_type, object_id=object_id)
        if existing is None:
            raise
        return existing, False
    return report, True


def _open_report(*, reporter: User, target_type: str, object_id: int) -> Report | None:
    return (
        Report.objects.open()
        .select_related("target_user")
        .filter(reporter=reporter, target_type=target_type, target_object_id=object_id)
        .first()
    )


# --- The moderation log ----------------------------------------------------------------------------


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


# --- Users -------------------------------------------------------------------------------------------


def user_suspend(*, user: User, moderator: User, reason: str, report: Report | None = None) -> bool:
    """Suspends an account: it can no longer log in, every refresh token is revoked, its access
    tokens stop working on the next request, its open sockets are closed (``session.revoked`` to
    the user's channel group after commit) and its tweets vanish for everyone else. Nothing is
    deleted: ``user_unsuspend`` restores it all.

    Resolves every open report on the user and on their tweets and rooms. Returns False (and
    changes nothing) when the user is already suspended. Staff accounts can be suspended only
    by a superuser, and nobody suspends themselves."""
    from accounts.services import tokens_revoke_all

    _require(moderator, "moderation.suspend_user")
    reason = _clean_reason(reason)
    if user.pk == moderator.pk:
        raise InvalidInput("You cannot suspend yourself.")
    if (user.is_staff or user.is_superuser) and not moderator.is_superuser:
        raise Forbidden("Only a superuser can suspend a staff account.")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.is_suspended:
            return False
        now = timezone.now()
        User.objects.filter(pk=user.pk).update(is_suspended=True, suspended_at=now, suspension_reason=reason)
        user.is_suspended, user.suspended_at, user.suspension_reason = True, now, reason
        revoked = tokens_revoke_all(user=user)
        resolved = _resolve_reports(
            Report.objects.about_user_or_their_content(user.pk), moderator=moderator, action=ActionType.SUSPEND_USER
        )
        _log(
            moderator=moderator,
            action=ActionType.SUSPEND_USER,
            target_type=TargetType.USER,
            target_object_id=user.pk,
            target_repr=f"@{user.username}",
            subject_user_id=user.pk,
            reason=reason,
            report=report,
            details={"refresh_tokens_revoked": revoked, "reports_resolved": resolved},
        )
        group_send_on_commit(user_group_name(user.pk), {"type": "session.revoked"})
    logger.info("user %s suspended by %s", user.pk, moderator.pk)
    return True


def user_unsuspend(*, user: User, moderator: User, reason: str) -> bool:
    """Lifts a suspension: the user can log in again and their tweets are visible as before.
    Returns False when the user was not suspended."""
    _require(moderator, "moderation.suspend_user")
    reason = _clean_reason(reason)
    if (user.is_staff or user.is_superuser) and not moderator.is_superuser:
        raise Forbidden("Only a superuser can unsuspend a staff account.")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_suspended:
            return False
        previous = {"suspended_at": locked.suspended_at.isoformat() if locked.suspended_at else None}
        previous["suspension_reason"] = locked.suspension_reason
        User.objects.filter(pk=user.pk).update(is_suspended=False, suspended_at=None, suspension_reason="")
        user.is_suspended, user.suspended_at, user.suspension_reason = False, None, ""
        _log(
            moderator=moderator,
            action=ActionType.UNSUSPEND_USER,
            target_type=TargetType.USER,
            target_object_id=user.pk,
            target_repr=f"@{user.username}",
            subject_user_id=user.pk,
            reason=reason,
            details=previous,
        )
    return True


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


# --- Tweets ------------------------------------------------------------------------------------------


def _tweet_repr(tweet) -> str:
    return f"tweet {tweet.pk} by @{tweet.author.username}: {tweet.text}"


def tweet_hide(*, tweet, moderator: User, reason: str, report: Report | None = None) -> bool:
    """Hides a tweet (soft and reversible): it is gone from the API for everyone but its author,
    who sees it marked ``hidden``. Resolves the open reports on it. Returns False when it was
    already hidden."""
    from tweets.models import Tweet

    _require(moderator, "moderation.hide_tweet")
    reason = _clean_reason(reason)
    with transaction.atomic():
        now = timezone.now()
        changed = Tweet.objects.filter(pk=tweet.pk, is_hidden=False).update(is_hidden=True, hidden_at=now)
        if not changed:
            return False
        tweet.is_hidden, tweet.hidden_at = True, now
        resolved = _resolve_reports(tweet.reports.all(), moderator=moderator, action=ActionType.HIDE_TWEET)
        _log(
            moderator=moderator,
            action=ActionType.HIDE_TWEET,
            target_type=TargetType.TWEET,
            target_object_id=tweet.pk,
            target_repr=_tweet_repr(tweet),
            subject_user_id=tweet.author_id,
            reason=reason,
            report=report,
            details={"reports_resolved": resolved},
        )
    return True


def tweet_unhide(*, tweet, moderator: User, reason: str) -> bool:
    """Makes a hidden tweet visible again. Returns False when it was not hidden."""
    from tweets.models import Tweet

    _require(moderator, "moderation.hide_tweet")
    reason = _clean_reason(reason)
    with transaction.atomic():
        changed = Tweet.objects.filter(pk=tweet.pk, is_hidden=True).update(is_hidden=False, hidden_at=None)
        if not changed:
            return False
        tweet.is_hidden, tweet.hidden_at = False, None
        _log(
            moderator=moderator,
            action=ActionType.UNHIDE_TWEET,
            target_type=TargetType.TWEET,
            target_object_id=tweet.pk,
            target_repr=_tweet_repr(tweet),
            subject_user_id=tweet.author_id,
            reason=reason,
        )
    return True


def tweet_remove(*, tweet, moderator: User, reason: str, report: Report | None = None) -> None:
    """Deletes a tweet for good through ``tweets.services.tweet_delete`` (counters, retweets and
    the rest are that service's business). The open reports on it are resolved first; the
    reports and the log entry keep what the tweet said."""
    from tweets.services import tweet_delete

    _require(moderator, "tweets.delete_tweet")
    reason = _clean_reason(reason)
    with transaction.atomic():
        resolved = _resolve_reports(tweet.reports.all(), moderator=moderator, action=ActionType.DELETE_TWEET)
        _log(
            moderator=moderator,
            action=ActionType.DELETE_TWEET,
            target_type=TargetType.TWEET,
            target_object_id=tweet.pk,
            target_repr=_tweet_repr(tweet),
            subject_user_id=tweet.author_id,
            reason=reason,
            report=report,
            details={"reports_resolved": resolved},
        )
        tweet_delete(tweet=tweet, actor=moderator)


# --- Rooms -------------------------------------------------------------------------------------------


def room_end_by_moderator(*, room, moderator: User, reason: str, report: Report | None = None) -> bool:
    """Ends a live room through ``rooms.services.room_end``, so participants are told exactly as
    when the host ends it. Resolves the open reports on the room. Returns False when the room
    was not live."""
    from rooms.models import Room, RoomState
    from rooms.services import room_end

    _require(moderator, "rooms.change_room")
    reason = _clean_reason(reason)
    with transaction.atomic():
        current = Room.objects.select_for_update().select_related("host").get(pk=room.pk)
        if current.state != RoomState.LIVE:
            return False
        room_end(room=current, by_user=moderator)
        resolved = _resolve_reports(current.reports.all(), moderator=moderator, action=ActionType.END_ROOM)
        _log(
            moderator=moderator,
            action=ActionType.END_ROOM,
            target_type=TargetType.ROOM,
            target_object_id=current.pk,
            target_repr=f"room {current.pk} hosted by @{current.host.username}: {current.title}",
            subject_user_id=current.host_id,
            reason=reason,
            report=report,
            details={"reports_resolved": resolved},
        )
    room.state = current.state
    return True


# --- The report queue ----------------------------------------------------------------------------------


def report_dismiss(*, report: Report, moderator: User, reason: str = "") -> bool:
    """Resolves a report without acting on its target. Returns False if it was already resolved."""
    _require(moderator, "moderation.change_report")
    with transaction.atomic():
        resolved = _resolve_reports(
            Report.objects.filter(pk=report.pk), moderator=moderator, action=ActionType.DISMISS_REPORT
        )
        if not resolved:
            return False
        _log(
            moderator=moderator,
            action=ActionType.DISMISS_REPORT,
            target_type=report.target_type,
            target_object_id=report.target_object_id,
            target_repr=report.target_snapshot or f"{report.target_type} {report.target_object_id}",
            subject_user_id=report_subject_user_id(report),
            reason=reason.strip() or "Dismissed.",
            report=report,
        )
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
