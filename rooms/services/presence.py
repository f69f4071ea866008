"""Socket presence: connections, their heartbeat, the disconnect grace period and its checks.

A participant is connected while they have a live connection row: one written when a room socket
opened and refreshed by the heartbeat of the server process holding it (``seen_at``). A row goes
when its socket closes, or, when its server died without closing it, once it is older than
``ROOM_CONNECTION_STALE_SECONDS`` (removed by the checks below). A participant with no live row
is disconnected since their last socket closed (or was last seen) and leaves after the grace
period for their role.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from twitterclone.errors import Forbidden, NotFound

from .. import events
from ..models import Participant, Room, RoomConnection, RoomState
from ._base import (
    grace_seconds_for,
    lock_room,
    present,
    save_fields,
    schedule_presence_check_on_commit,
    stale_before,
)
from .participants import join_locked, leave_locked

HEARTBEAT_BATCH = 1000


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


def connections_heartbeat(*, channel_names: list[str]) -> list[str]:
    """Marks the connections of these sockets as seen now (two statements per 1,000 sockets at
    most). Returns the channel names that have no connection row any more: their socket's
    presence lapsed (or they left), and the socket should close."""
    now = timezone.now()
    gone: list[str] = []
    for start in range(0, len(channel_names), HEARTBEAT_BATCH):
        batch = channel_names[start : start + HEARTBEAT_BATCH]
        updated = RoomConnection.objects.filter(channel_name__in=batch).update(seen_at=now)
        if updated < len(batch):
            existing = set(RoomConnection.objects.filter(channel_name__in=batch).values_list("channel_name", flat=True))
            gone.extend(name for name in batch if name not in existing)
    return gone


def _settle_connections(room: Room, participant: Participant) -> bool:
    """Removes the participant's stale connection rows (closing those sockets, should their
    server be alive after all) and returns whether a live one remains. With none left, the
    participant counts as disconnected since the last heartbeat of the stale ones."""
    cutoff = stale_before()
    stale = list(participant.connections.filter(seen_at__lt=cutoff).values_list("channel_name", "seen_at"))
    if stale:
        RoomConnection.objects.filter(channel_name__in=[name for name, _ in stale]).delete()
        events.sockets_removed_on_commit(room.pk, [name for name, _ in stale])
    if participant.connections.exists():
        return True
    if participant.disconnected_at is None:
        participant.disconnected_at = max((seen for _, seen in stale), default=timezone.now())
        save_fields(participant, "disconnected_at")
    return False


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
        if participant is None or _settle_connections(room, participant):
            return None
        participant.disconnected_at = timezone.now()
        save_fields(participant, "disconnected_at")
        delay = grace_seconds_for(participant.role)
        schedule_presence_check_on_commit(room_id, user_id, delay)
        return delay


def presence_check(*, room_id: int, user_id: int) -> float | None:
    """Makes a participant with no live socket for longer than their grace period leave (a host
    leaving hands over to a co-host or ends the room). Returns the seconds left when the grace
    period is still running, else None. Safe to run any number of times."""
    with transaction.atomic():
        room = Room.objects.select_for_update().filter(pk=room_id).first()
        if room is None or room.state != RoomState.LIVE:
            return None
        participant = present(room, user_id)
        if participant is None or _settle_connections(room, participant):
            return None
        elapsed = (timezone.now() - participant.disconnected_at).total_seconds()
        remaining = grace_seconds_for(participant.role) - elapsed
        if remaining > 0:
            return remaining
        leave_locked(room, participant, "disconnected")
        return None


def presence_sweep() -> int:
    """Runs ``presence_check`` for every present participant of a live room who has no open
    socket, or a connection whose server stopped its heartbeat: the safety net for checks lost
    with a worker and for sockets lost with a server. Returns how many left. Run periodically
    (Celery beat, every ``ROOM_PRESENCE_SWEEP_SECONDS``)."""
    stale = RoomConnection.objects.filter(participant=OuterRef("pk"), seen_at__lt=stale_before())
    candidates = list(
        Participant.objects.present()
        .filter(room__state=RoomState.LIVE)
        .filter(Q(disconnected_at__isnull=False) | Exists(stale))
        .values_list("room_id", "user_id")
    )
    left = 0
    for room_id, user_id in candidates:
        remaining = presence_check(room_id=room_id, user_id=user_id)
        if remaining is None:
            if present_id(room_id, user_id) is None:
                left += 1
        elif remaining < float(settings.ROOM_PRESENCE_SWEEP_SECONDS):
            # Ends before the next sweep: check then rather than a sweep later.
            schedule_presence_check_on_commit(room_id, user_id, remaining)
    return left


def present_id(room_id: int, user_id: int) -> int | None:
    return Participant.objects.present().filter(room_id=room_id, user_id=user_id).values_list("pk", flat=True).first()
