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
    return (
        Notification.objects.filter(pk__in=notification_ids).select_related("actor", "room", "recipient").order_by("id")
    )


def tweets_visible_to(*, viewer, ids: set[int]) -> list:
    """The tweets among ``ids`` that ``viewer`` may see now (``Tweet.objects.visible_to``, the
    one visibility rule), ready for ``TweetSerializer`` in a fixed number of queries."""
    from tweets.models import Tweet
    from tweets.selectors import tweets_for_display

    return tweets_for_display(Tweet.objects.visible_to(viewer).select_related("author").filter(pk__in=ids), viewer)
