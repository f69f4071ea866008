"""The life cycle of a room: create, edit, delete, start, end."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from twitterclone import effects
from twitterclone.errors import Conflict, Forbidden, InvalidInput, ServiceUnavailable

from .. import events
from ..models import Participant, Role, Room, RoomConnection, RoomState
from ._base import (
    copy_room_state,
    grace_seconds_for,
    lock_room,
    require_host,
    save_fields,
    schedule_presence_check_on_commit,
    validate_schedule,
)

logger = logging.getLogger("twitterclone.rooms")

EDITABLE_FIELDS = ("title", "description", "scheduled_for")


def room_create(*, host, title: str, description: str = "", scheduled_for: datetime | None = None) -> Room:
    """Creates a scheduled room hosted by ``host``. It goes live with ``room_start``."""
    title = title.strip()
    if not title:
        raise InvalidInput("Give the room a title.", fields={"title": ["This field may not be blank."]})
    validate_schedule(scheduled_for)
    return Room.objects.create(host=host, title=title, description=description.strip(), scheduled_for=scheduled_for)


def room_update(*, room: Room, by_user, data: dict[str, Any]) -> Room:
    """Edits title, description or schedule: the host only, and only before the room starts."""
    with transaction.atomic():
        room = lock_room(room.pk)
        require_host(room, by_user)
        if room.state != RoomState.SCHEDULED:
            raise Conflict("A room can only be edited before it starts.", code="room_not_editable")
        changed = []
        for field in EDITABLE_FIELDS:
            if field not in data:
                continue
            value = data[field]
            if field == "title":
                value = value.strip()
                if not value:
                    raise InvalidInput("Give the room a title.", fields={"title": ["This field may not be blank."]})
            elif field == "description":
                value = value.strip()
            else:
                validate_schedule(value)
            setattr(room, field, value)
            changed.append(field)
        if changed:
            save_fields(room, *changed)
    return room


def room_delete(*, room: Room, by_user) -> None:
    """Deletes a room that has not started: the host only. Live and ended rooms stay (history)."""
    with transaction.atomic():
        room = lock_room(room.pk)
        require_host(room, by_user)
        if room.state != RoomState.SCHEDULED:
            raise Conflict("Only a room that has not started can be deleted.", code="room_not_editable")
        room.delete()


def room_start(*, room: Room, by_user) -> Room:
    """Takes a scheduled room live: the host only. The host becomes its first participant and
    the host's followers are notified (``room_live``, fanned out in the background on commit).

    With Janus, the room's AudioBridge room, mountpoint and forwarder are created before the
    transaction commits: if Janus cannot be reached, 503 ``media_unavailable`` and the room stays
    scheduled (and if the commit itself fails, what Janus made is destroyed again)."""
    from notifications.services import notify_room_live

    from ..media.backend import janus_enabled

    original = room
    provisioned = False
    try:
        with transaction.atomic():
            room = _start_locked(room, by_user, notify_room_live)
            if janus_enabled():
                _provision_media(room)
                provisioned = True
    except Exception:
        if provisioned:
            _teardown_media_quietly(room.pk)
        raise
    copy_room_state(original, room)
    return original


def _provision_media(room: Room) -> None:
    from ..media.backend import new_pin
    from ..media.janus import JanusError
    from ..media.service import media_room_provision

    room.media_pin = new_pin()
    room.save(update_fields=["media_pin"])
    try:
        media_room_provision(room_id=room.pk, description=room.title, pin=room.media_pin)
    except JanusError as exc:
        logger.warning("room %s cannot start: Janus: %s", room.pk, exc)
        _teardown_media_quietly(room.pk)
        raise ServiceUnavailable(
            "The media server is unavailable; the room did not start. Try again shortly.", code="media_unavailable"
        ) from exc


def _teardown_media_quietly(room_id: int) -> None:
    from ..media.service import media_room_teardown

    try:
        media_room_teardown(room_id=room_id)
    except Exception:
        logger.warning("could not clean up the Janus room of room %s", room_id, exc_info=True)


def _start_locked(room: Room, by_user, notify_room_live) -> Room:
    """The database part of ``room_start``, on the locked row."""
    room = lock_room(room.pk)
    require_host(room, by_user)
    if room.state == RoomState.LIVE:
        raise Conflict("The room is already live.", code="room_live")
    if room.state == RoomState.ENDED:
        raise Conflict("The room has ended.", code="room_ended")
    now = timezone.now()
    room.state = RoomState.LIVE
    room.started_at = now
    save_fields(room, "state", "started_at")
    Participant.objects.update_or_create(
        room=room,
        user_id=room.host_id,
        defaults={
            "role": Role.HOST,
            "hand_raised": False,
            "muted": True,
            "muted_by_host": False,
            "left_at": None,
            "disconnected_at": now,
        },
    )
    notify_room_live(room_id=room.id)
    schedule_presence_check_on_commit(room.pk, room.host_id, grace_seconds_for(Role.HOST))
    return room


def room_end(*, room: Room, by_user) -> Room:
    """Ends a live room: its host, or a moderator (permission ``rooms.change_room``).

    Every present participant is marked as left, and after commit every socket in the room
    receives ``room_ended`` and is closed. Ending an ended room changes nothing; a room that
    has not started cannot be ended (delete it instead). The given ``room`` object is updated
    too (state, ended_at), so a caller holding it sees the end.

    A moderator's end is a moderator action, whichever way it comes (API or admin): it goes
    through ``moderation.services.room_end_by_moderator``, which records it in the moderation log
    and resolves the open reports on the room (and refuses non-staff accounts)."""
    with transaction.atomic():
        locked = lock_room(room.pk)
        if locked.host_id != by_user.pk and not by_user.has_perm("rooms.change_room"):
            raise Forbidden("Only the host can end the room.", code="not_host")
        if locked.state == RoomState.SCHEDULED:
            raise Conflict("The room has not started; delete it instead.", code="room_not_live")
        if locked.state == RoomState.LIVE:
            if locked.host_id == by_user.pk:
                end_locked(locked)
            else:
                from moderation.services import API_REASON, room_end_by_moderator

                room_end_by_moderator(room=locked, moderator=by_user, reason=API_REASON, via="api")
    copy_room_state(room, locked)
    return room


def room_end_unchecked(*, room: Room) -> None:
    """Ends a live room (as ``room_end`` describes) with no permission check: for
    ``moderation.services.room_end_by_moderator``, which checks the moderator and logs."""
    with transaction.atomic():
        locked = lock_room(room.pk)
        if locked.state == RoomState.LIVE:
            end_locked(locked)
    copy_room_state(room, locked)


def end_locked(room: Room) -> None:
    now = timezone.now()
    room.state = RoomState.ENDED
    room.ended_at = now
    save_fields(room, "state", "ended_at")
    Participant.objects.present().filter(room=room).update(left_at=now, hand_raised=False, disconnected_at=None)
    RoomConnection.objects.filter(participant__room=room).delete()
    events.room_ended_on_commit(room.pk)
    from ..media.backend import janus_enabled

    if janus_enabled():
        effects.task_after_commit("rooms.tasks.media_room_teardown", room.pk)
    logger.info("room %s ended", room.pk)
