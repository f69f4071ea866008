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


def notifications_for_display(notifications, *, viewer) -> list:
    """Attaches to each of these notifications of one recipient (``viewer``) its tweet as that
    viewer may see it now (``display_tweet``: a Tweet ready for ``TweetSerializer``, or None
    when it is gone or no longer visible), in a fixed number of queries, and returns them as a
    list. ``NotificationSerializer`` reads it and runs no query."""
    notifications = list(notifications)
    ids = {notification.tweet_id for notification in notifications if notification.tweet_id is not None}
    tweets = {tweet.pk: tweet for tweet in tweets_visible_to(viewer=viewer, ids=ids)} if ids else {}
    for notification in notifications:
        notification.display_tweet = tweets.get(notification.tweet_id)
    return notifications


def tweets_visible_to(*, viewer, ids: set[int]) -> list:
    """The tweets among ``ids`` that ``viewer`` may see now (``Tweet.objects.visible_to``, the
    one visibility rule), ready for ``TweetSerializer`` in a fixed number of queries."""
    from tweets.models import Tweet
    from tweets.selectors import tweets_for_display

    return tweets_for_display(Tweet.objects.visible_to(viewer).select_related("author").filter(pk__in=ids), viewer)
