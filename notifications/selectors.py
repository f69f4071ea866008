"""Notification reads: lists for the REST API and the rows pushed over sockets."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Notification


def notifications_for(*, recipient_id: int, unread_only: bool = False) -> QuerySet[Notification]:
    """The recipient's notifications (only theirs), newest first by id, with actor and room
    joined so a page costs a fixed number of queries; ``unread_only`` keeps the unread ones."""
    queryset = Notification.objects.filter(recipient_id=recipient_id).select_related("actor", "room").order_by("-id")
    if unread_only:
        queryset = queryset.filter(read=False)
    return queryset


def unread_count_for(*, recipient_id: int) -> int:
    """How many of the recipient's notifications are unread (one indexed COUNT)."""
    return Notification.objects.filter(recipient_id=recipient_id, read=False).count()


def notifications_for_push(*, notification_ids: list[int]) -> QuerySet[Notification]:
    """The given notifications with everything their payload needs, ordered by id."""
    return Notification.objects.filter(pk__in=notification_ids).select_related("actor", "room").order_by("id")


def tweets_visible_to(*, viewer, ids: set[int]) -> QuerySet:
    """The tweets among ``ids`` that ``viewer`` may see now: not hidden by moderation (except
    their own), not by someone who blocks the viewer, and followers-only ones only when the
    viewer is the author or follows them."""
    from django.db.models import Exists, OuterRef, Q

    from social.models import Block, Follow
    from tweets.models import Tweet, Visibility

    follows_author = Exists(Follow.objects.filter(follower_id=viewer.pk, followee_id=OuterRef("author_id")))
    author_blocks_viewer = Exists(Block.objects.filter(blocker_id=OuterRef("author_id"), blocked_id=viewer.pk))
    own = Q(author_id=viewer.pk)
    return (
        Tweet.objects.filter(pk__in=ids)
        .filter(own | Q(is_hidden=False))
        .filter(own | ~author_blocks_viewer)
        .filter(own | Q(visibility=Visibility.PUBLIC) | follows_author)
    )
