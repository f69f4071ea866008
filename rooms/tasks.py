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


# Janus unreachable or refusing: retried with backoff (the state to reach is in the database).
MEDIA_RETRY = {"autoretry_for": (Exception,), "retry_backoff": True, "retry_backoff_max": 60, "max_retries": 8}


@shared_task(ignore_result=True, acks_late=True, **MEDIA_RETRY)
def media_participant_sync(room_id: int, user_id: int) -> None:
    """Janus follows one participant's change (left, demoted, host-muted): see
    ``rooms.media.service.media_participant_sync``."""
    from .media.service import media_participant_sync as sync

    sync(room_id=room_id, user_id=user_id)


@shared_task(ignore_result=True, acks_late=True, **MEDIA_RETRY)
def media_room_teardown(room_id: int) -> None:
    """Destroys an ended room's Janus room and mountpoint."""
    from .media.service import media_room_teardown as teardown

    teardown(room_id=room_id)


@shared_task(ignore_result=True)
def media_check() -> None:
    """Celery beat, every ``ROOM_PRESENCE_SWEEP_SECONDS``: repairs lost Janus rooms and cuts off
    handles of users no longer entitled to them."""
    from .media.service import media_check as check

    check()
