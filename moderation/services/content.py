"""Moderator actions on content: hide, unhide and delete tweets; end live rooms."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import User

from ..models import ActionType, Report, TargetType
from ._log import Acted, moderator_act


def _tweet_repr(tweet) -> str:
    return f"tweet {tweet.pk} by @{tweet.author.username}: {tweet.text}"


def _reports_on(target_type: str, object_id: int):
    # By the kept id, not the foreign key: a deleted tweet's reports have lost theirs.
    return Report.objects.filter(target_type=target_type, target_object_id=object_id)


def _tweet_acted(tweet, *, reports: bool) -> Acted:
    return Acted(
        target_type=TargetType.TWEET,
        target_object_id=tweet.pk,
        target_repr=_tweet_repr(tweet),
        subject_user_id=tweet.author_id,
        reports=_reports_on(TargetType.TWEET, tweet.pk) if reports else None,
    )


def tweet_hide(*, tweet, moderator: User, reason: str, report: Report | None = None) -> bool:
    """Hides a tweet (soft and reversible): it is gone from the API for everyone but its author,
    who sees it marked ``hidden``. Resolves the open reports on it. Returns False when it was
    already hidden."""
    from tweets.models import Tweet

    def change(reason: str) -> Acted | None:
        now = timezone.now()
        if not Tweet.objects.filter(pk=tweet.pk, is_hidden=False).update(is_hidden=True, hidden_at=now):
            return None
        tweet.is_hidden, tweet.hidden_at = True, now
        return _tweet_acted(tweet, reports=True)

    return moderator_act(
        moderator=moderator,
        permission="moderation.hide_tweet",
        action=ActionType.HIDE_TWEET,
        reason=reason,
        change=change,
        report=report,
    )


def tweet_unhide(*, tweet, moderator: User, reason: str) -> bool:
    """Makes a hidden tweet visible again. Returns False when it was not hidden."""
    from tweets.models import Tweet

    def change(reason: str) -> Acted | None:
        if not Tweet.objects.filter(pk=tweet.pk, is_hidden=True).update(is_hidden=False, hidden_at=None):
            return None
        tweet.is_hidden, tweet.hidden_at = False, None
        return _tweet_acted(tweet, reports=False)

    return moderator_act(
        moderator=moderator,
        permission="moderation.hide_tweet",
        action=ActionType.UNHIDE_TWEET,
        reason=reason,
        change=change,
    )


# The reason logged for a moderator's delete or room end through the public API, which takes none.
API_REASON = "Through the public API (no reason given)."


def tweet_remove(*, tweet, moderator: User, reason: str, report: Report | None = None, via: str = "admin") -> None:
    """Deletes a tweet for good through ``tweets.services.tweet_destroy`` (counters, retweets and
    the rest are that service's business). The open reports on it are resolved; the reports and
    the log entry keep what the tweet said. ``via`` ("admin" or "api") is logged."""
    from tweets.services import tweet_destroy

    def change(reason: str) -> Acted:
        acted = _tweet_acted(tweet, reports=True)  # its text, taken before it goes
        tweet_destroy(tweet=tweet)
        return acted

    moderator_act(
        moderator=moderator,
        permission="tweets.delete_tweet",
        action=ActionType.DELETE_TWEET,
        reason=reason,
        change=change,
        report=report,
        via=via,
    )


def room_end_by_moderator(
    *, room, moderator: User, reason: str, report: Report | None = None, via: str = "admin"
) -> bool:
    """Ends a live room through ``rooms.services.room_end_unchecked``, so participants are told
    exactly as when the host ends it. Resolves the open reports on the room. Returns False when
    the room was not live. ``via`` ("admin" or "api") is logged."""
    from rooms.models import Room, RoomState
    from rooms.services import room_end_unchecked

    def change(reason: str) -> Acted | None:
        current = Room.objects.select_for_update().select_related("host").get(pk=room.pk)
        if current.state != RoomState.LIVE:
            return None
        room_end_unchecked(room=current)
        room.state = current.state
        return Acted(
            target_type=TargetType.ROOM,
            target_object_id=current.pk,
            target_repr=f"room {current.pk} hosted by @{current.host.username}: {current.title}",
            subject_user_id=current.host_id,
            reports=_reports_on(TargetType.ROOM, current.pk),
        )

    return moderator_act(
        moderator=moderator,
        permission="rooms.change_room",
        action=ActionType.END_ROOM,
        reason=reason,
        change=change,
        report=report,
        via=via,
    )
