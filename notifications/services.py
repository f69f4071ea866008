"""Creating notifications: stored first (the record of truth), pushed after commit."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from social.models import Block, Mute

from .models import Notification, NotificationType

logger = logging.getLogger("twitterclone.notifications")


def dedup_key_for(*, type: str, actor_id: int, tweet_id: int | None, room_id: int | None) -> str:
    return f"{type}:{actor_id}:{tweet_id or '-'}:{room_id or '-'}"


def notification_create(
    *, recipient_id: int, actor_id: int, type: str, tweet_id: int | None = None, room_id: int | None = None
) -> Notification | None:
    """Stores a notification and pushes it to the recipient's open sockets after commit.

    Returns None, and stores nothing, when the recipient is the actor, blocks or mutes the
    actor, or already has this very notification (like, unlike, like again does not stack up).
    Call it inside the transaction of the action that causes it: a rollback notifies nobody."""
    if type not in NotificationType.values:
        raise ValueError(f"unknown notification type {type!r}")
    if recipient_id == actor_id:
        return None
    if Block.objects.filter(blocker_id=recipient_id, blocked_id=actor_id).exists():
        return None
    if Mute.objects.filter(muter_id=recipient_id, muted_id=actor_id).exists():
        return None
    key = dedup_key_for(type=type, actor_id=actor_id, tweet_id=tweet_id, room_id=room_id)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient_id=recipient_id,
                actor_id=actor_id,
                type=type,
                tweet_id=tweet_id,
                room_id=room_id,
                dedup_key=key,
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: push_notification(notification.pk))
    return notification


def push_notification(notification_id: int) -> None:
    """Sends a stored notification to every socket of its recipient (all their devices)."""
    from twitterclone.broadcast import group_send_now, user_group_name

    from .serializers import notification_payload

    notification = Notification.objects.select_related("actor", "tweet", "room").filter(pk=notification_id).first()
    if notification is None:
        return
    group_send_now(
        user_group_name(notification.recipient_id),
        {"type": "notification.push", "notification": notification_payload(notification)},
    )
