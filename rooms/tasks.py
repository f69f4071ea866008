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


def _retry_media(task, exc: Exception) -> None:
    """Janus unreachable or refusing: retried with backoff by a worker (the state to reach is in
    the database). With eager tasks (no worker: dev, tests) it is logged instead; the periodic
    media check catches up."""
    import logging

    if not effects.tasks_run_by_worker():
        logging.getLogger("twitterclone.rooms.media").warning("%s failed: %s", task.name, exc)
        return
    raise task.retry(exc=exc, countdown=min(60, 2 ** (task.request.retries + 1)))


@shared_task(bind=True, ignore_result=True, acks_late=True, max_retries=8)
def media_participant_sync(self, room_id: int, user_id: int) -> None:
    """Janus follows one participant's change (left, demoted, host-muted): see
    ``rooms.media.service.media_participant_sync``."""
    from .media.janus import JanusError
    from .media.service import media_participant_sync as sync

    try:
        sync(room_id=room_id, user_id=user_id)
    except JanusError as exc:
        _retry_media(self, exc)


@shared_task(bind=True, ignore_result=True, acks_late=True, max_retries=8)
def media_room_teardown(self, room_id: int) -> None:
    """Destroys an ended room's Janus room and mountpoint."""
    from .media.janus import JanusError
    from .media.service import media_room_teardown as teardown

    try:
        teardown(room_id=room_id)
    except JanusError as exc:
        _retry_media(self, exc)


@shared_task(ignore_result=True)
def media_check() -> None:
    """Celery beat, every ``ROOM_PRESENCE_SWEEP_SECONDS``: repairs lost Janus rooms and cuts off
    handles of users no longer entitled to them."""
    from .media.service import media_check_quietly

    media_check_quietly()


@shared_task(bind=True, ignore_result=True, max_retries=3)
def media_viewers_enforce(self, viewers: list[list[int]]) -> None:
    """Janus reported these (session id, handle id) Streaming viewers starting or switching
    (``POST /internal/janus/events``): detaches each that watches another room's mountpoint."""
    from .media.janus import JanusError
    from .media.viewers import viewers_enforce

    try:
        viewers_enforce([(int(session_id), int(handle_id)) for session_id, handle_id in viewers])
    except JanusError as exc:
        _retry_media(self, exc)
