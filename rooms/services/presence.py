"""Socket presence: connections, the disconnect grace period and its checks."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from twitterclone.errors import Forbidden, NotFound

from ..models import Participant, Room, RoomConnection, RoomState
from ._base import (
    grace_seconds_for,
    lock_room,
    present,
    save_fields,
    schedule_presence_check_on_commit,
)
from .participants import join_locked, leave_locked


def participant_connect(*, room_id: int, user, channel_name: str) -> Participant:
    """A room socket opened: joins the room if need be and records the connection.

    Raises NotFound for an unknown or ended room, Forbidden for a user who may not join
    (blocked, room full, room not live yet): the socket closes with 4404 or 4403."""
    with transaction.atomic():
        room = lock_room(room_id)
        if room.state == RoomState.ENDED:
            raise NotFound("The room has ended.", code="room_ended")
        if room.state == RoomState.SCHEDULED:
            raise Forbidden("The room has not started yet.", code="room_not_live")
        participant = join_locked(room, user)
        RoomConnection.objects.get_or_create(channel_name=channel_name, defaults={"participant": participant})
        if participant.disconnected_at is not None:
            participant.disconnected_at = None
            save_fields(participant, "disconnected_at")
        return participant


def participant_disconnect(*, room_id: int, user_id: int, channel_name: str) -> float | None:
    """A room socket closed. When it was the participant's last one, their grace period starts:
    returns its length in seconds (and with a Celery worker schedules the check), else None."""
    with transaction.atomic():
        room = Room.objects.select_for_update().filter(pk=room_id).first()
        if room is None:
            return None
        RoomConnection.objects.filter(channel_name=channel_name).delete()
        if room.state != RoomState.LIVE:
            return None
        participant = present(room, user_id)
        if participant is None or participant.connections.exists():
            return None
        participant.disconnected_at = timezone.now()
        save_fields(participant, "disconnected_at")
        delay = grace_seconds_for(participant.role)
        schedule_presence_check_on_commit(room_id, user_id, delay)
        return delay


def presence_check(*, room_id: int, user_id: int) -> float | None:
    """Makes a participant with no open socket for longer than their grace period leave (a host
    leaving hands over to a co-host or ends the room). Returns the seconds left when the grace
    period is still running, else None. Safe to run any number of times."""
    with transaction.atomic():
        room = Room.objects.select_for_update().filter(pk=room_id).first()
        if room is None or room.state != RoomState.LIVE:
            return None
        participant = present(room, user_id)
        if participant is None or participant.disconnected_at is None or participant.connections.exists():
            return None
        elapsed = (timezone.now() - participant.disconnected_at).total_seconds()
        remaining = grace_seconds_for(participant.role) - elapsed
        if remaining > 0:
            return remaining
        leave_locked(room, participant, "disconnected")
        return None


def presence_sweep() -> int:
    """Runs ``presence_check`` for every present participant of a live room who has no open
    socket: a safety net for checks lost with a worker. Returns how many left."""
    candidates = list(
        Participant.objects.present()
        .filter(room__state=RoomState.LIVE, disconnected_at__isnull=False)
        .values_list("room_id", "user_id")
    )
    left = 0
    for room_id, user_id in candidates:
        if presence_check(room_id=room_id, user_id=user_id) is None and present_id(room_id, user_id) is None:
            left += 1
    return left


def present_id(room_id: int, user_id: int) -> int | None:
    return Participant.objects.present().filter(room_id=room_id, user_id=user_id).values_list("pk", flat=True).first()
