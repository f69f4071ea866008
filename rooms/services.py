"""Audio-room writes: the room life cycle, participants and their roles, socket presence.

Every change of a room or a participant goes through one of these functions. Each one locks
the room row first (``SELECT ... FOR UPDATE``), so the changes of one room are serialised and
limits hold under concurrency. Events reach sockets only after the transaction commits
(``rooms.events``). Rules, in short (docs/rooms.md has them in full):

- the creator is the host; only the host edits, deletes (while scheduled), starts and ends;
  a user with the ``rooms.change_room`` permission (a moderator) may also end a live room;
- the host makes listeners speakers or co-hosts and demotes them; co-hosts make listeners
  speakers and demote speakers; anyone may step down to listener; the host cannot be demoted;
- the host mutes co-hosts and speakers, co-hosts mute speakers; a host mute is lifted only by
  the host or a co-host, never by the muted speaker;
- when the host leaves, the longest-present co-host (preferring one with an open socket)
  becomes host; with no co-host the room ends.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from twitterclone.errors import Conflict, Forbidden, InvalidInput, NotFound

from . import events
from .models import MODERATING_ROLES, SPEAKING_ROLES, Participant, Role, Room, RoomConnection, RoomState

logger = logging.getLogger("twitterclone.rooms")

EDITABLE_FIELDS = ("title", "description", "scheduled_for")


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


# --- helpers --------------------------------------------------------------------------------


def _lock_room(room_id: int) -> Room:
    room = Room.objects.select_for_update().filter(pk=room_id).first()
    if room is None:
        raise NotFound("No such room.")
    return room


def _present(room: Room, user_id: int) -> Participant | None:
    return Participant.objects.present().filter(room=room, user_id=user_id).select_related("user").first()


def _require_present(room: Room, user_id: int) -> Participant:
    participant = _present(room, user_id)
    if participant is None:
        raise Forbidden("Join the room first.", code="not_participant")
    return participant


def _require_target(room: Room, target_user) -> Participant:
    participant = _present(room, target_user.pk)
    if participant is None:
        raise NotFound("That user is not in this room.", code="not_participant")
    return participant


def _require_host(room: Room, user) -> None:
    if room.host_id != user.pk:
        raise Forbidden("Only the host can do this.", code="not_host")


def _require_live(room: Room) -> None:
    if room.state == RoomState.SCHEDULED:
        raise Conflict("The room has not started yet.", code="room_not_live")
    if room.state == RoomState.ENDED:
        raise Conflict("The room has ended.", code="room_ended")


def _require_moderator(room: Room, user) -> Participant:
    actor = _present(room, user.pk)
    if actor is None or actor.role not in MODERATING_ROLES:
        raise Forbidden("Only the host and co-hosts can do this.", code="not_moderator")
    return actor


def _is_blocked_by_host(room: Room, user_id: int) -> bool:
    from social.selectors import blocks

    return blocks(blocker_id=room.host_id, blocked_id=user_id)


def _validate_schedule(scheduled_for: datetime | None) -> None:
    if scheduled_for is not None and scheduled_for <= timezone.now():
        raise InvalidInput("Schedule the room in the future.", fields={"scheduled_for": ["Must be in the future."]})


def _schedule_presence_check_on_commit(room_id: int, user_id: int, delay: float) -> None:
    """With a Celery worker, checks the participant's presence after ``delay`` seconds.
    Without one (eager tasks: embedded defaults, tests) the room socket schedules the check
    in the server process instead (``rooms.consumers``)."""
    from .tasks import checks_run_in_celery, participant_presence_check

    if checks_run_in_celery():
        transaction.on_commit(
            lambda: participant_presence_check.apply_async((room_id, user_id), countdown=max(delay, 0))
        )


def _save(instance, *fields: str) -> None:
    instance.save(update_fields=list(fields))


# --- rooms ----------------------------------------------------------------------------------


def room_create(*, host, title: str, description: str = "", scheduled_for: datetime | None = None) -> Room:
    """Creates a scheduled room hosted by ``host``. It goes live with ``room_start``."""
    title = title.strip()
    if not title:
        raise InvalidInput("Give the room a title.", fields={"title": ["This field may not be blank."]})
    _validate_schedule(scheduled_for)
    return Room.objects.create(host=host, title=title, description=description.strip(), scheduled_for=scheduled_for)


def room_update(*, room: Room, by_user, data: dict[str, Any]) -> Room:
    """Edits title, description or schedule: the host only, and only before the room starts."""
    with transaction.atomic():
        room = _lock_room(room.pk)
        _require_host(room, by_user)
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
                _validate_schedule(value)
            setattr(room, field, value)
            changed.append(field)
        if changed:
            _save(room, *changed)
    return room


def room_delete(*, room: Room, by_user) -> None:
    """Deletes a room that has not started: the host only. Live and ended rooms stay (history)."""
    with transaction.atomic():
        room = _lock_room(room.pk)
        _require_host(room, by_user)
        if room.state != RoomState.SCHEDULED:
            raise Conflict("Only a room that has not started can be deleted.", code="room_not_editable")
        room.delete()


def room_start(*, room: Room, by_user) -> Room:
    """Takes a scheduled room live: the host only. The host becomes its first participant and
    the host's followers are notified (``room_live``, fanned out in the background on commit)."""
    from notifications.services import notify_room_live

    with transaction.atomic():
        room = _lock_room(room.pk)
        _require_host(room, by_user)
        if room.state == RoomState.LIVE:
            raise Conflict("The room is already live.", code="room_live")
        if room.state == RoomState.ENDED:
            raise Conflict("The room has ended.", code="room_ended")
        now = timezone.now()
        room.state = RoomState.LIVE
        room.started_at = now
        _save(room, "state", "started_at")
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
        _schedule_presence_check_on_commit(room.pk, room.host_id, grace_seconds_for(Role.HOST))
    return room


def room_end(*, room: Room, by_user) -> Room:
    """Ends a live room: its host, or a moderator (permission ``rooms.change_room``).

    Every present participant is marked as left, and after commit every socket in the room
    receives ``room_ended`` and is closed. Ending an ended room changes nothing; a room that
    has not started cannot be ended (delete it instead)."""
    with transaction.atomic():
        room = _lock_room(room.pk)
        if room.host_id != by_user.pk and not by_user.has_perm("rooms.change_room"):
            raise Forbidden("Only the host can end the room.", code="not_host")
        if room.state == RoomState.ENDED:
            return room
        if room.state == RoomState.SCHEDULED:
            raise Conflict("The room has not started; delete it instead.", code="room_not_live")
        _end_locked(room)
    return room


def _end_locked(room: Room) -> None:
    now = timezone.now()
    room.state = RoomState.ENDED
    room.ended_at = now
    _save(room, "state", "ended_at")
    Participant.objects.present().filter(room=room).update(left_at=now, hand_raised=False, disconnected_at=None)
    RoomConnection.objects.filter(participant__room=room).delete()
    events.room_ended_on_commit(room.pk)
    logger.info("room %s ended", room.pk)


# --- joining and leaving ----------------------------------------------------------------------


def participant_join(*, room: Room, user) -> Participant:
    """Joins a live room, as host for its host and as listener for everyone else.

    Joining while present changes nothing. Users blocked by the host get 403 ``blocked``; a room
    at ``ROOM_MAX_LISTENERS`` listeners gets 403 ``room_full``. Someone who left and comes back
    starts again as a listener with their hand down (a host mute they had is forgotten)."""
    with transaction.atomic():
        room = _lock_room(room.pk)
        return _join_locked(room, user)


def _join_locked(room: Room, user) -> Participant:
    _require_live(room)
    if _is_blocked_by_host(room, user.pk):
        raise Forbidden("You cannot join this room.", code="blocked")
    existing = Participant.objects.filter(room=room, user=user).select_related("user").first()
    if existing is not None and existing.left_at is None:
        return existing
    role = Role.HOST if room.host_id == user.pk else Role.LISTENER
    if role == Role.LISTENER:
        listeners = Participant.objects.present().filter(room=room, role=Role.LISTENER).count()
        if listeners >= max_listeners():
            raise Forbidden("The room is full.", code="room_full")
    now = timezone.now()
    state = {
        "role": role,
        "hand_raised": False,
        "muted": True,
        "muted_by_host": False,
        "left_at": None,
        "disconnected_at": now,
    }
    if existing is None:
        participant = Participant.objects.create(room=room, user=user, **state)
    else:
        participant = existing
        for field, value in state.items():
            setattr(participant, field, value)
        participant.joined_at = now
        _save(participant, *state, "joined_at")
    participant.user = user
    events.participant_event_on_commit(events.PARTICIPANT_JOINED, participant)
    _schedule_presence_check_on_commit(room.pk, user.pk, grace_seconds_for(role))
    return participant


def participant_leave(*, room: Room, user, reason: str = "left") -> None:
    """Leaves the room; leaving a room one is not in changes nothing. When the host leaves, a
    co-host takes over (see the module docstring); with none, the room ends."""
    with transaction.atomic():
        room = _lock_room(room.pk)
        if room.state != RoomState.LIVE:
            return
        participant = _present(room, user.pk)
        if participant is not None:
            _leave_locked(room, participant, reason)


def _leave_locked(room: Room, participant: Participant, reason: str) -> None:
    if participant.role == Role.HOST:
        successor = (
            Participant.objects.present()
            .filter(room=room, role=Role.COHOST)
            .annotate(connected=Exists(RoomConnection.objects.filter(participant=OuterRef("pk"))))
            .select_related("user")
            .order_by("-connected", "joined_at", "id")
            .first()
        )
        if successor is None:
            _end_locked(room)
            return
        successor.role = Role.HOST
        _save(successor, "role")
        room.host_id = successor.user_id
        _save(room, "host")
        events.participant_event_on_commit(events.PARTICIPANT_UPDATED, successor)
    participant.left_at = timezone.now()
    participant.hand_raised = False
    participant.disconnected_at = None
    _save(participant, "left_at", "hand_raised", "disconnected_at")
    RoomConnection.objects.filter(participant=participant).delete()
    events.participant_event_on_commit(events.PARTICIPANT_LEFT, participant, reason=reason)
    events.participant_removed_on_commit(room.pk, participant.user_id)


# --- hands, roles and mutes ---------------------------------------------------------------------


def hand_raise(*, room: Room, user) -> Participant:
    """A listener asks to speak. Raising a raised hand changes nothing."""
    return _set_hand(room=room, user=user, raised=True)


def hand_lower(*, room: Room, user) -> Participant:
    """Lowers one's own hand. Lowering a lowered hand changes nothing."""
    return _set_hand(room=room, user=user, raised=False)


def _set_hand(*, room: Room, user, raised: bool) -> Participant:
    with transaction.atomic():
        room = _lock_room(room.pk)
        _require_live(room)
        participant = _require_present(room, user.pk)
        if raised and participant.role != Role.LISTENER:
            raise Conflict("You can already speak.", code="already_speaker")
        if participant.hand_raised != raised:
            participant.hand_raised = raised
            _save(participant, "hand_raised")
            events.participant_event_on_commit(events.PARTICIPANT_UPDATED, participant)
        return participant


def speaker_add(*, room: Room, by_user, target_user, role: str = Role.SPEAKER) -> Participant:
    """Gives a present participant the speaker or co-host role.

    The host may make anyone (but themselves) a speaker or a co-host; a co-host may make
    listeners speakers. At most ``ROOM_MAX_SPEAKERS`` speakers and ``ROOM_MAX_COHOSTS``
    co-hosts (409 ``speaker_limit`` / ``cohost_limit``). A promoted participant's hand goes down;
    their microphone stays muted until they unmute it."""
    if role not in (Role.SPEAKER, Role.COHOST):
        raise InvalidInput("The role is speaker or cohost.", fields={"role": ["Choose speaker or cohost."]})
    with transaction.atomic():
        room = _lock_room(room.pk)
        _require_live(room)
        actor = _require_moderator(room, by_user)
        target = _require_target(room, target_user)
        if target.role == Role.HOST:
            raise Conflict("The host's role cannot change.", code="is_host")
        if actor.role != Role.HOST and (role == Role.COHOST or target.role == Role.COHOST):
            raise Forbidden("Only the host manages co-hosts.", code="not_host")
        if target.role == role:
            return target
        limit, code = (max_cohosts(), "cohost_limit") if role == Role.COHOST else (max_speakers(), "speaker_limit")
        holders = Participant.objects.present().filter(room=room, role=role).count()
        if holders >= limit:
            raise Conflict(f"The room already has {limit} {role}s.", code=code)
        target.role = role
        target.hand_raised = False
        _save(target, "role", "hand_raised")
        events.participant_event_on_commit(events.PARTICIPANT_UPDATED, target)
        return target


def speaker_remove(*, room: Room, by_user, target_user) -> Participant:
    """Makes a speaker or co-host a listener again (muted).

    Anyone may step down themselves; the host demotes co-hosts and speakers, a co-host demotes
    speakers. The host cannot be demoted. Demoting a listener changes nothing."""
    with transaction.atomic():
        room = _lock_room(room.pk)
        _require_live(room)
        if by_user.pk == target_user.pk:
            target = _require_present(room, by_user.pk)
        else:
            actor = _require_moderator(room, by_user)
            target = _require_target(room, target_user)
            if target.role == Role.COHOST and actor.role != Role.HOST:
                raise Forbidden("Only the host manages co-hosts.", code="not_host")
        if target.role == Role.HOST:
            raise Conflict("The host's role cannot change.", code="is_host")
        if target.role == Role.LISTENER:
            return target
        target.role = Role.LISTENER
        target.muted = True
        _save(target, "role", "muted")
        events.participant_event_on_commit(events.PARTICIPANT_UPDATED, target)
        return target


def participant_mute(*, room: Room, by_user, target_user) -> Participant:
    """A host mute: the host mutes a co-host or speaker, a co-host mutes a speaker. The muted
    participant cannot unmute until the host or a co-host lifts it (``participant_mute_lift``)."""
    with transaction.atomic():
        room = _lock_room(room.pk)
        _require_live(room)
        actor = _require_moderator(room, by_user)
        target = _require_target(room, target_user)
        _check_may_moderate(actor, target)
        if target.role not in SPEAKING_ROLES:
            raise Conflict("Listeners cannot speak anyway.", code="not_speaker")
        if not (target.muted and target.muted_by_host):
            target.muted = True
            target.muted_by_host = True
            _save(target, "muted", "muted_by_host")
            events.participant_event_on_commit(events.PARTICIPANT_UPDATED, target)
        return target


def participant_mute_lift(*, room: Room, by_user, target_user) -> Participant:
    """Lifts a host mute (same permissions as muting). The participant stays muted until they
    unmute themselves: nobody else turns a microphone on."""
    with transaction.atomic():
        room = _lock_room(room.pk)
        _require_live(room)
        actor = _require_moderator(room, by_user)
        target = _require_target(room, target_user)
        _check_may_moderate(actor, target)
        if target.muted_by_host:
            target.muted_by_host = False
            _save(target, "muted_by_host")
            events.participant_event_on_commit(events.PARTICIPANT_UPDATED, target)
        return target


def _check_may_moderate(actor: Participant, target: Participant) -> None:
    if target.role == Role.HOST and actor.pk != target.pk:
        raise Forbidden("Nobody moderates the host.", code="not_host")
    if target.role == Role.COHOST and actor.role != Role.HOST:
        raise Forbidden("Only the host moderates co-hosts.", code="not_host")


def self_mute_set(*, room: Room, user, muted: bool) -> Participant:
    """A participant mutes or unmutes their own microphone. Unmuting needs a speaking role
    (403 ``not_speaker``) and no host mute in force (403 ``muted_by_host``)."""
    with transaction.atomic():
        room = _lock_room(room.pk)
        _require_live(room)
        participant = _require_present(room, user.pk)
        if not muted:
            if participant.role not in SPEAKING_ROLES:
                raise Forbidden("Only speakers can unmute.", code="not_speaker")
            if participant.muted_by_host:
                raise Forbidden("The host muted you.", code="muted_by_host")
        if participant.muted != muted:
            participant.muted = muted
            _save(participant, "muted")
            events.participant_event_on_commit(events.PARTICIPANT_UPDATED, participant)
        return participant


# --- sockets and presence -----------------------------------------------------------------------


def participant_connect(*, room_id: int, user, channel_name: str) -> Participant:
    """A room socket opened: joins the room if need be and records the connection.

    Raises NotFound for an unknown or ended room, Forbidden for a user who may not join
    (blocked, room full, room not live yet): the socket closes with 4404 or 4403."""
    with transaction.atomic():
        room = _lock_room(room_id)
        if room.state == RoomState.ENDED:
            raise NotFound("The room has ended.", code="room_ended")
        if room.state == RoomState.SCHEDULED:
            raise Forbidden("The room has not started yet.", code="room_not_live")
        participant = _join_locked(room, user)
        RoomConnection.objects.get_or_create(channel_name=channel_name, defaults={"participant": participant})
        if participant.disconnected_at is not None:
            participant.disconnected_at = None
            _save(participant, "disconnected_at")
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
        participant = _present(room, user_id)
        if participant is None or participant.connections.exists():
            return None
        participant.disconnected_at = timezone.now()
        _save(participant, "disconnected_at")
        delay = grace_seconds_for(participant.role)
        _schedule_presence_check_on_commit(room_id, user_id, delay)
        return delay


def presence_check(*, room_id: int, user_id: int) -> float | None:
    """Makes a participant with no open socket for longer than their grace period leave (a host
    leaving hands over to a co-host or ends the room). Returns the seconds left when the grace
    period is still running, else None. Safe to run any number of times."""
    with transaction.atomic():
        room = Room.objects.select_for_update().filter(pk=room_id).first()
        if room is None or room.state != RoomState.LIVE:
            return None
        participant = _present(room, user_id)
        if participant is None or participant.disconnected_at is None or participant.connections.exists():
            return None
        elapsed = (timezone.now() - participant.disconnected_at).total_seconds()
        remaining = grace_seconds_for(participant.role) - elapsed
        if remaining > 0:
            return remaining
        _leave_locked(room, participant, "disconnected")
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
        if presence_check(room_id=room_id, user_id=user_id) is None and _present_id(room_id, user_id) is None:
            left += 1
    return left


def _present_id(room_id: int, user_id: int) -> int | None:
    return Participant.objects.present().filter(room_id=room_id, user_id=user_id).values_list("pk", flat=True).first()
