"""Helpers shared by the room services: settings, locking, permission checks, scheduling."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from twitterclone import effects
from twitterclone.errors import Conflict, Forbidden, InvalidInput, NotFound

from ..models import MODERATING_ROLES, Participant, Role, Room, RoomState

# --- settings -------------------------------------------------------------------------------


def max_speakers() -> int:
    """Speakers allowed besides the host and co-hosts (Twitter Spaces: 10, 13 with hosts)."""
    return int(getattr(settings, "ROOM_MAX_SPEAKERS", 10))


def max_cohosts() -> int:
    return int(getattr(settings, "ROOM_MAX_COHOSTS", 2))


def max_listeners() -> int:
    return int(getattr(settings, "ROOM_MAX_LISTENERS", 100))


def grace_seconds_for(role: str) -> float:
    """How long a participant of this role may have no open socket before leaving."""
    if role == Role.HOST:
        return float(getattr(settings, "ROOM_HOST_GRACE_SECONDS", 120.0))
    return float(getattr(settings, "ROOM_DISCONNECT_GRACE_SECONDS", 30.0))


def connection_stale_seconds() -> float:
    """A connection row not refreshed by its server's heartbeat for this long counts as closed."""
    return float(getattr(settings, "ROOM_CONNECTION_STALE_SECONDS", 15.0))


def stale_before() -> datetime:
    return timezone.now() - timedelta(seconds=connection_stale_seconds())


# --- helpers --------------------------------------------------------------------------------


def lock_room(room_id: int) -> Room:
    room = Room.objects.select_for_update().filter(pk=room_id).first()
    if room is None:
        raise NotFound("No such room.")
    return room


def present(room: Room, user_id: int) -> Participant | None:
    return Participant.objects.present().filter(room=room, user_id=user_id).select_related("user").first()


def require_present(room: Room, user_id: int) -> Participant:
    participant = present(room, user_id)
    if participant is None:
        raise Forbidden("Join the room first.", code="not_participant")
    return participant


def require_target(room: Room, target_user) -> Participant:
    participant = present(room, target_user.pk)
    if participant is None:
        raise NotFound("That user is not in this room.", code="not_participant")
    return participant


def require_host(room: Room, user) -> None:
    if room.host_id != user.pk:
        raise Forbidden("Only the host can do this.", code="not_host")


def require_live(room: Room) -> None:
    if room.state == RoomState.SCHEDULED:
        raise Conflict("The room has not started yet.", code="room_not_live")
    if room.state == RoomState.ENDED:
        raise Conflict("The room has ended.", code="room_ended")


def require_moderator(room: Room, user) -> Participant:
    actor = present(room, user.pk)
    if actor is None or actor.role not in MODERATING_ROLES:
        raise Forbidden("Only the host and co-hosts can do this.", code="not_moderator")
    return actor


def is_blocked_by_host(room: Room, user_id: int) -> bool:
    from social.selectors import blocks

    return blocks(blocker_id=room.host_id, blocked_id=user_id)


def validate_schedule(scheduled_for: datetime | None) -> None:
    if scheduled_for is not None and scheduled_for <= timezone.now():
        raise InvalidInput("Schedule the room in the future.", fields={"scheduled_for": ["Must be in the future."]})


def checks_run_in_celery() -> bool:
    """True when presence checks go to a Celery worker (countdown tasks). With eager tasks
    (embedded defaults, tests) there is no worker to wait, so the room socket schedules the
    check in the server process instead."""
    return effects.tasks_run_by_worker()


def schedule_presence_check_on_commit(room_id: int, user_id: int, delay: float) -> None:
    """With a Celery worker, checks the participant's presence after ``delay`` seconds (through
    the outbox: published after commit, retried while the broker is down). Without one (eager
    tasks: embedded defaults, tests) the room socket schedules the check in the server process
    instead (``rooms.consumers``)."""
    if checks_run_in_celery():
        effects.task_after_commit("rooms.tasks.participant_presence_check", room_id, user_id, countdown=max(delay, 0))


def save_fields(instance, *fields: str) -> None:
    instance.save(update_fields=list(fields))


def copy_room_state(target: Room, source: Room) -> None:
    """Copies what a service changed from the locked row to the caller's room object."""
    for field in ("state", "started_at", "ended_at", "host_id"):
        setattr(target, field, getattr(source, field))


def media_sync_on_commit(room_id: int, user_id: int) -> None:
    """With Janus, makes it follow this participant's change after commit (kicks, revoked
    tokens: ``rooms.media.service.media_participant_sync``), through a retried task."""
    from ..media.backend import janus_enabled

    if janus_enabled():
        effects.task_after_commit("rooms.tasks.media_participant_sync", room_id, user_id)
