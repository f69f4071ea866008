"""Notification writes: stored first (the record of truth), pushed after commit.

Every notification is a row in the database before anyone hears of it; the push to open
sockets happens only once the transaction that stored it commits, so a rolled-back action
notifies nobody and a client that was offline catches up by listing over REST.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from social.models import Block, Follow, Mute
from twitterclone import effects
from twitterclone.broadcast import user_group_name

from .models import Notification, NotificationType

logger = logging.getLogger("twitterclone.notifications")

# Followers notified per Celery task when a room goes live.
ROOM_LIVE_BATCH_SIZE = 500


def dedup_key_for(*, type: str, actor_id: int, tweet_id: int | None, room_id: int | None) -> str:
    """The identity of "what happened" for one recipient: the same action twice is one notification."""
    return f"{type}:{actor_id}:{tweet_id or '-'}:{room_id or '-'}"


def _excluded(*, recipient_id: int, actor_id: int) -> bool:
    """The actor is the recipient, or the recipient blocks or mutes the actor (one query)."""
    if recipient_id == actor_id:
        return True
    blocks = Block.objects.filter(blocker_id=recipient_id, blocked_id=actor_id).values("pk")
    mutes = Mute.objects.filter(muter_id=recipient_id, muted_id=actor_id).values("pk")
    return blocks.union(mutes, all=True).exists()


def notification_create(
    *, recipient_id: int, actor_id: int, type: str, tweet_id: int | None = None, room_id: int | None = None
) -> Notification | None:
    """Stores a notification and pushes it to the recipient's open sockets after commit.

    Returns None, and stores nothing, when the recipient is the actor, blocks or mutes the
    actor, or already has this very notification (like, unlike, like again does not stack up:
    the database's unique (recipient, dedup_key) constraint decides, also under races).
    Call it inside the transaction of the action that causes it: a rollback notifies nobody."""
    if type not in NotificationType.values:
        raise ValueError(f"unknown notification type {type!r}")
    if _excluded(recipient_id=recipient_id, actor_id=actor_id):
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
    push_after_commit([notification.pk])
    return notification


def notification_mark_read(*, recipient_id: int, notification_id: int) -> bool:
    """Marks one of the recipient's notifications read. Returns False when there is no such
    notification of this recipient (another user's id changes nothing)."""
    found = Notification.objects.filter(pk=notification_id, recipient_id=recipient_id)
    if not found.exists():
        return False
    found.filter(read=False).update(read=True)
    return True


def notifications_mark_all_read(*, recipient_id: int) -> int:
    """Marks every unread notification of the recipient read; returns how many changed."""
    return Notification.objects.filter(recipient_id=recipient_id, read=False).update(read=True)


def notifications_clear(*, recipient_id: int) -> int:
    """Deletes every notification of the recipient; returns how many were deleted."""
    deleted, _ = Notification.objects.filter(recipient_id=recipient_id).delete()
    return deleted


def notification_dismiss(*, recipient_id: int, notification_id: int) -> bool:
    """Deletes one notification of the recipient (only theirs); False when there was none."""
    deleted, _ = Notification.objects.filter(recipient_id=recipient_id, pk=notification_id).delete()
    return bool(deleted)


# --- Room going live: fan-out to every follower of the host -------------------------------------


def notify_room_live(*, room_id: int) -> None:
    """Notifies every follower of the room's host that the room is live, in the background.

    Call it inside the transaction that starts the room. After that transaction commits a
    Celery task fans out to the followers in batches of ``ROOM_LIVE_BATCH_SIZE`` (each batch
    its own task, with retries); the caller never waits for the fan-out, and a rollback
    enqueues nothing. The task goes through the outbox: a broker that is down delays the
    fan-out, never loses it. Safe to call twice: nobody is notified twice for one room."""
    effects.task_after_commit("notifications.tasks.fan_out_room_live", room_id)


def room_live_recipient_batches(*, room_id: int, batch_size: int = ROOM_LIVE_BATCH_SIZE) -> Iterable[list[int]]:
    """The ids of the followers of a live room's host, in batches (keyset on follower id).

    Yields nothing when the room does not exist or is no longer live (it ended before the
    fan-out ran: telling people to join a finished room would be noise)."""
    from rooms.models import Room, RoomState

    room = Room.objects.filter(pk=room_id).only("host_id", "state").first()
    if room is None or room.state != RoomState.LIVE:
        return
    followers = Follow.objects.filter(followee_id=room.host_id).order_by("follower_id")
    after = 0
    while True:
        batch = list(followers.filter(follower_id__gt=after).values_list("follower_id", flat=True)[:batch_size])
        if not batch:
            return
        yield batch
        after = batch[-1]


def room_live_notify_batch(*, room_id: int, recipient_ids: list[int]) -> list[int]:
    """Stores a ``room_live`` notification for each of these followers of the host and pushes
    the new ones after commit. Skips recipients who block or mute the host, who no longer follow
    the host or are no longer active, or who already have it (so a retried batch neither duplicates nor re-pushes).
    Returns the ids of the notifications it created."""
    from rooms.models import Room, RoomState

    room = Room.objects.filter(pk=room_id).only("host_id", "state").first()
    if room is None or room.state != RoomState.LIVE or not recipient_ids:
        return []
    host_id = room.host_id
    wanted = set(recipient_ids) - {host_id}
    wanted -= set(Block.objects.filter(blocker_id__in=wanted, blocked_id=host_id).values_list("blocker_id", flat=True))
    wanted -= set(Mute.objects.filter(muter_id__in=wanted, muted_id=host_id).values_list("muter_id", flat=True))
    from accounts.models import User

    # Still following (they may have unfollowed since the batch was cut) and still active.
    recipients = sorted(
        User.objects.active().filter(pk__in=wanted, following_links__followee_id=host_id).values_list("pk", flat=True)
    )
    if not recipients:
        return []
    key = dedup_key_for(type=NotificationType.ROOM_LIVE, actor_id=host_id, tweet_id=None, room_id=room_id)
    with transaction.atomic():
        created = _insert_ignoring_duplicates(
            recipient_ids=recipients, actor_id=host_id, type=NotificationType.ROOM_LIVE, room_id=room_id, dedup_key=key
        )
        if created:
            push_after_commit(created)
    return created


def _insert_ignoring_duplicates(
    *, recipient_ids: list[int], actor_id: int, type: str, room_id: int | None, dedup_key: str
) -> list[int]:
    """One ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``: the ids of the rows really inserted.

    Django's ``bulk_create(ignore_conflicts=True)`` cannot tell which rows were new; this can,
    on PostgreSQL and on SQLite (3.35+) alike, so only new notifications are pushed."""
    table = connection.ops.quote_name(Notification._meta.db_table)
    columns = ["recipient_id", "actor_id", "type", "tweet_id", "room_id", "dedup_key", "created_at", "read"]
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    now = timezone.now()
    rows_sql = ", ".join(["(%s, %s, %s, NULL, %s, %s, %s, %s)"] * len(recipient_ids))
    params: list = []
    for recipient_id in recipient_ids:
        params += [recipient_id, actor_id, type, room_id, dedup_key, now, False]
    # Only quoted identifiers and placeholders are interpolated; every value is a parameter.
    sql = f"INSERT INTO {table} ({quoted}) VALUES {rows_sql} ON CONFLICT DO NOTHING RETURNING id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


# --- Pushing ------------------------------------------------------------------------------------


def push_messages(notification_ids: list[int]) -> list[tuple[str, dict[str, Any]]]:
    """The channel-layer messages that push these stored notifications to every open socket of
    their recipients (all their devices), each rendered for its recipient, in a fixed number of
    queries."""
    from .selectors import notifications_for_push

    if not notification_ids:
        return []
    notifications = list(notifications_for_push(notification_ids=notification_ids))
    payloads = notification_payloads(notifications)
    return [
        (user_group_name(notification.recipient_id), {"type": "notification.push", "notification": payload})
        for notification, payload in zip(notifications, payloads, strict=True)
    ]


def notification_payloads(notifications: list) -> list[dict]:
    """The JSON pushed over sockets, one per notification: the same shape as an item of the
    REST list, each rendered for its own recipient (who must be loaded: ``recipient``).

    Notifications without a tweet (a fan-out of hundreds of ``room_live``) are rendered in one
    serializer pass; those with one are rendered per recipient, with their tweets as that
    recipient sees them (a fixed number of queries per recipient)."""
    import json

    from rest_framework.utils.encoders import JSONEncoder

    from .selectors import notifications_for_display
    from .serializers import NotificationSerializer, ViewerOnly

    rendered: dict[int, dict] = {}
    by_recipient: dict[int, list] = {}
    plain = []
    for index, notification in enumerate(notifications):
        if notification.tweet_id is None:
            plain.append((index, notification))
        else:
            by_recipient.setdefault(notification.recipient_id, []).append((index, notification))
    if plain:
        data = NotificationSerializer([n for _, n in plain], many=True, context={}).data
        rendered.update(zip([index for index, _ in plain], data, strict=True))
    for group in by_recipient.values():
        recipient = group[0][1].recipient
        items = notifications_for_display([n for _, n in group], viewer=recipient)
        data = NotificationSerializer(items, many=True, context={"request": ViewerOnly(recipient)}).data
        rendered.update(zip([index for index, _ in group], data, strict=True))
    return json.loads(json.dumps([rendered[index] for index in range(len(notifications))], cls=JSONEncoder))


def push_after_commit(notification_ids: list[int]) -> None:
    """Pushes these notifications once the transaction that stored them commits; rendered after
    commit, best-effort and bounded (``twitterclone.effects``): clients catch up over REST."""
    effects.push_after_commit(partial(push_messages, list(notification_ids)))
