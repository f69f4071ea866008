"""Celery tasks: thin wrappers around notification services that own the retries."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from twitterclone import effects

from . import services

# Transient failures worth retrying: the database or the broker/channel layer hiccuped.
RETRYABLE = (DatabaseError, OSError, ConnectionError)


@shared_task(
    autoretry_for=RETRYABLE, retry_backoff=True, retry_backoff_max=60, max_retries=5, acks_late=True, ignore_result=True
)
def fan_out_room_live(room_id: int) -> int:
    """Splits the followers of a live room's host into batches and enqueues one task per batch
    (through the outbox: a broker hiccup delays a batch, never loses it). Returns the number of
    batches enqueued. Retrying it is harmless: batches are idempotent."""
    batches = 0
    for recipient_ids in services.room_live_recipient_batches(
        room_id=room_id, batch_size=services.ROOM_LIVE_BATCH_SIZE
    ):
        effects.task_after_commit("notifications.tasks.notify_room_live_batch", room_id, recipient_ids)
        batches += 1
    return batches


@shared_task(
    autoretry_for=RETRYABLE, retry_backoff=True, retry_backoff_max=60, max_retries=5, acks_late=True, ignore_result=True
)
def notify_room_live_batch(room_id: int, recipient_ids: list[int]) -> int:
    """Notifies one batch of followers that the room is live; returns how many were new."""
    return len(services.room_live_notify_batch(room_id=room_id, recipient_ids=recipient_ids))
