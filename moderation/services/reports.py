"""Reports from users."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from twitterclone.errors import InvalidInput, NotFound

from ..models import Report, ReportCategory, TargetType
from ._log import SNAPSHOT_MAX_LENGTH

COMMENT_MAX_LENGTH = 1000


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
