"""Celery tasks of the rooms app: thin wrappers around ``rooms.services``."""

from __future__ import annotations

from celery import shared_task

from twitterclone import effects


@shared_task(ignore_result=True, acks_late=True)
def participant_presence_check(room_id: int, user_id: int) -> None:
    """Ends the grace period of a participant with no open socket; re-schedules itself when
    the grace period got longer meanwhile (a co-host who became host)."""
    from .services import checks_run_in_celery, presence_check

    remaining = presence_check(room_id=room_id, user_id=user_id)
    if remaining is not None and checks_run_in_celery():
        effects.task_after_commit("rooms.tasks.participant_presence_check", room_id, user_id, countdown=remaining)


@shared_task(ignore_result=True)
def presence_sweep() -> int:
    """Safety net for lost checks and for sockets lost with their server: Celery beat runs it
    every ``ROOM_PRESENCE_SWEEP_SECONDS``."""
    from .services import presence_sweep as sweep

    return sweep()
