"""Moderator actions on content: hide, unhide and delete tweets; end live rooms."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from ..models import ActionType, Report, TargetType
from ._log import _clean_reason, _log, _require, _resolve_reports


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


# The reason logged for a moderator's delete or room end through the public API, which takes none.
API_REASON = "Through the public API (no reason given)."


def tweet_remove(*, tweet, moderator: User, reason: str, report: Report | None = None, via: str = "admin") -> None:
    """Deletes a tweet for good through ``tweets.services.tweet_destroy`` (counters, retweets and
    the rest are that service's business). The open reports on it are resolved first; the
    reports and the log entry keep what the tweet said. ``via`` ("admin" or "api") is logged."""
    from tweets.services import tweet_destroy

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
            details={"reports_resolved": resolved, "via": via},
        )
        tweet_destroy(tweet=tweet)


def room_end_by_moderator(
    *, room, moderator: User, reason: str, report: Report | None = None, via: str = "admin"
) -> bool:
    """Ends a live room through ``rooms.services.room_end_unchecked``, so participants are told
    exactly as when the host ends it. Resolves the open reports on the room. Returns False when
    the room was not live. ``via`` ("admin" or "api") is logged."""
    from rooms.models import Room, RoomState
    from rooms.services import room_end_unchecked

    _require(moderator, "rooms.change_room")
    reason = _clean_reason(reason)
    with transaction.atomic():
        current = Room.objects.select_for_update().select_related("host").get(pk=room.pk)
        if current.state != RoomState.LIVE:
            return False
        room_end_unchecked(room=current)
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
            details={"reports_resolved": resolved, "via": via},
        )
    room.state = current.state
    return True
