"""Celery tasks of the outbox: the periodic drain (Celery beat, see CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def drain_outbox() -> int:
    """Publishes the pending tasks the broker refused earlier; returns how many it took."""
    return services.outbox_drain()
