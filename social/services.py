"""Social-graph writes: follow, block, mute. All idempotent.

Counters (``followers_count``, ``following_count``) change with ``F()`` only when a Follow row
was really inserted or deleted (uniqueness is a database constraint), always in ascending
user-id order so two opposite follows cannot deadlock. Home feeds are updated after commit.
"""

from __future__ import annotations

import zlib

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from accounts.models import User
from notifications.services import notification_create
from twitterclone import effects
from twitterclone.errors import Forbidden, InvalidInput

from .models import Block, Follow, Mute


def _lock_pair(user_a_id: int, user_b_id: int) -> None:
    """Serialises follow and block between two users (PostgreSQL advisory lock until the end
    of the transaction), so a follow racing a block cannot survive it."""
    if connection.vendor != "postgresql":
        return
    low, high = sorted((user_a_id, user_b_id))
    key = zlib.crc32(f"social:{low}:{high}".encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _change_follow_counters(*, follower_id: int, followee_id: int, delta: int) -> None:
    for user_id in sorted((follower_id, followee_id)):
        field = "following_count" if user_id == follower_id else "followers_count"
        queryset = User.objects.filter(pk=user_id)
        if delta < 0:
            queryset = queryset.filter(**{f"{field}__gte": -delta})
        queryset.update(**{field: F(field) + delta})


def _not_self(actor: User, target: User, what: str) -> None:
    if actor.pk == target.pk:
        raise InvalidInput(f"You cannot {what} yourself.", code=f"cannot_{what}_self")


def follow_create(*, follower: User, followee: User) -> bool:
    """``follower`` follows ``followee``. Following yourself is a 400 ``cannot_follow_self``;
    following across a block (either way) is a 403 ``blocked``. Following twice changes
    nothing. Notifies the followee. Returns True when a new follow was made."""
    _not_self(follower, followee, "follow")
    with transaction.atomic():
        _lock_pair(follower.pk, followee.pk)
        if Block.objects.filter(blocker_id=followee.pk, blocked_id=follower.pk).exists():
            raise Forbidden("This account blocks you.", code="blocked")
        if Block.objects.filter(blocker_id=follower.pk, blocked_id=followee.pk).exists():
            raise Forbidden("You block this account; unblock it first.", code="blocked")
        try:
            with transaction.atomic():
                Follow.objects.create(follower=follower, followee=followee)
        except IntegrityError:
            return False  # already following
        _change_follow_counters(follower_id=follower.pk, followee_id=followee.pk, delta=1)
        notification_create(recipient_id=followee.pk, actor_id=follower.pk, type="follow")
        _on_commit_feed_change("follow_added", follower.pk, followee.pk)
    return True


def _follow_delete(*, follower_id: int, followee_id: int) -> bool:
    deleted, _ = Follow.objects.filter(follower_id=follower_id, followee_id=followee_id).delete()
    if not deleted:
        return False
    _change_follow_counters(follower_id=follower_id, followee_id=followee_id, delta=-1)
    _on_commit_feed_change("follow_removed", follower_id, followee_id)
    return True


def follow_delete(*, follower: User, followee: User) -> bool:
    """Unfollows. Idempotent. The followee's tweets leave the follower's home feed.
    Returns True when a follow was removed."""
    with transaction.atomic():
        return _follow_delete(follower_id=follower.pk, followee_id=followee.pk)


def block_create(*, blocker: User, blocked: User) -> bool:
    """``blocker`` blocks ``blocked``: follows are removed in both directions (counters
    adjusted), and from then on ``blocked`` cannot follow, reply to, quote, like, retweet or
    mention ``blocker`` nor see their tweets (see tweets.models.TweetQuerySet.visible_to), and
    leaves any live room ``blocker`` hosts. Blocking yourself is a 400; blocking twice changes
    nothing. Returns True when new."""
    _not_self(blocker, blocked, "block")
    with transaction.atomic():
        _lock_pair(blocker.pk, blocked.pk)
        try:
            with transaction.atomic():
                Block.objects.create(blocker=blocker, blocked=blocked)
        except IntegrityError:
            return False
        _follow_delete(follower_id=blocker.pk, followee_id=blocked.pk)
        _follow_delete(follower_id=blocked.pk, followee_id=blocker.pk)
        # A host's block also removes the blocked user from the host's live rooms (docs/rooms.md).
        from rooms.services import participants_remove_blocked

        participants_remove_blocked(host=blocker, blocked=blocked)
    return True


def block_delete(*, blocker: User, blocked: User) -> bool:
    """Unblocks. Idempotent; follows removed by the block are not restored."""
    deleted, _ = Block.objects.filter(blocker_id=blocker.pk, blocked_id=blocked.pk).delete()
    return bool(deleted)


def mute_create(*, muter: User, muted: User) -> bool:
    """``muter`` mutes ``muted``: their tweets and retweets leave the muter's home timeline and
    they no longer notify the muter; nothing else changes (follows stay). Muting yourself is a
    400; muting twice changes nothing. Returns True when new."""
    _not_self(muter, muted, "mute")
    _, created = Mute.objects.get_or_create(muter=muter, muted=muted)
    return created


def mute_delete(*, muter: User, muted: User) -> bool:
    """Unmutes. Idempotent."""
    deleted, _ = Mute.objects.filter(muter_id=muter.pk, muted_id=muted.pk).delete()
    return bool(deleted)


def _on_commit_feed_change(name: str, follower_id: int, followee_id: int) -> None:
    from tweets import feeds

    effects.after_commit(getattr(feeds, name), follower_id=follower_id, followee_id=followee_id)
