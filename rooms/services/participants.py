"""Participants: joining and leaving, hands, roles (speakers, co-hosts) and mutes."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from twitterclone.errors import Conflict, Forbidden, InvalidInput

from .. import events
from ..models import SPEAKING_ROLES, Participant, Role, Room, RoomConnection, RoomState
from ._base import (
    grace_seconds_for,
    is_blocked_by_host,
    lock_room,
    max_cohosts,
    max_listeners,
    max_speakers,
    media_sync_on_commit,
    present,
    require_live,
    require_moderator,
    require_present,
    require_target,
    save_fields,
    schedule_presence_check_on_commit,
    stale_before,
)
from .lifecycle import end_locked


def participant_join(*, room: Room, user) -> Participant:
    """Joins a live room, as host for its host and as listener for everyone else.

    Joining while present changes nothing. Users blocked by the host get 403 ``blocked``; a room
    at ``ROOM_MAX_LISTENERS`` listeners gets 403 ``room_full``. Someone who left and comes back
    starts again as a listener with their hand down (a host mute they had is forgotten)."""
    with transaction.atomic():
        room = lock_room(room.pk)
        return join_locked(room, user)


def join_locked(room: Room, user) -> Participant:
    require_live(room)
    if is_blocked_by_host(room, user.pk):
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
        save_fields(participant, *state, "joined_at")
    participant.user = user
    events.participant_event_on_commit(events.PARTICIPANT_JOINED, participant)
    schedule_presence_check_on_commit(room.pk, user.pk, grace_seconds_for(role))
    return participant


def participant_leave(*, room: Room, user, reason: str = "left") -> None:
    """Leaves the room; leaving a room one is not in changes nothing. When the host leaves, a
    co-host takes over (see the module docstring); with none, the room ends."""
    with transaction.atomic():
        room = lock_room(room.pk)
        if room.state != RoomState.LIVE:
            return
        participant = present(room, user.pk)
        if participant is not None:
            leave_locked(room, participant, reason)


def participants_remove_blocked(*, host, blocked) -> int:
    """``host`` blocked ``blocked``: if ``blocked`` is present in a live room ``host`` hosts, they
    leave it (``participant_left`` with reason ``removed``, their sockets closed, and on Janus
    their handles detached). On Janus, every live room of ``host`` that ``blocked`` has been in
    (present or not) gets a new mountpoint pin, so what they hold cannot watch it again
    (``rooms.media.pins``). Called by ``social.services.block_create`` in its transaction.
    Returns how many rooms they were removed from."""
    from ..media.pins import pin_rotate_locked

    room_ids = list(
        Participant.objects.filter(user_id=blocked.pk, room__host_id=host.pk, room__state=RoomState.LIVE)
        .order_by("room_id")
        .values_list("room_id", flat=True)
    )
    removed = 0
    for room_id in room_ids:
        room = lock_room(room_id)
        if room.state != RoomState.LIVE or room.host_id != host.pk:
            continue
        participant = present(room, blocked.pk)
        if participant is not None:
            leave_locked(room, participant, "removed")
            removed += 1
        if room.state == RoomState.LIVE:
            pin_rotate_locked(room)
    return removed


def leave_locked(room: Room, participant: Participant, reason: str) -> None:
    if participant.role == Role.HOST:
        successor = (
            Participant.objects.present()
            .filter(room=room, role=Role.COHOST)
            .annotate(
                connected=Exists(RoomConnection.objects.filter(participant=OuterRef("pk"), seen_at__gte=stale_before()))
            )
            .select_related("user")
            .order_by("-connected", "joined_at", "id")
            .first()
        )
        if successor is None:
            end_locked(room)
            return
        successor.role = Role.HOST
        save_fields(successor, "role")
        room.host_id = successor.user_id
        save_fields(room, "host")
        events.participant_event_on_commit(events.PARTICIPANT_UPDATED, successor)
    participant.left_at = timezone.now()
    participant.hand_raised = False
    participant.disconnected_at = None
    save_fields(participant, "left_at", "hand_raised", "disconnected_at")
    connections = RoomConnection.objects.filter(participant=participant)
    channel_names = list(connections.values_list("channel_name", flat=True))
    connections.delete()
    events.participant_event_on_commit(events.PARTICIPANT_LEFT, participant, reason=reason)
    events.sockets_removed_on_commit(room.pk, channel_names)
    media_sync_on_commit(room.pk, participant.user_id)


# --- hands, roles and mutes ---------------------------------------------------------------------


def hand_raise(*, room: Room, user) -> Participant:
    """A listener asks to speak. Raising a raised hand changes nothing."""
    return _set_hand(room=room, user=user, raised=True)


def hand_lower(*, room: Room, user) -> Participant:
    """Lowers one's own hand. Lowering a lowered hand changes nothing."""
    return _set_hand(room=room, user=user, raised=False)


def _set_hand(*, room: Room, user, raised: bool) -> Participant:
    with transaction.atomic():
        room = lock_room(room.pk)
        require_live(room)
        participant = require_present(room, user.pk)
        if raised and participant.role != Role.LISTENER:
            raise Conflict("You can already speak.", code="already_speaker")
        if participant.hand_raised != raised:
            participant.hand_raised = raised
            save_fields(participant, "hand_raised")
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
        room = lock_room(room.pk)
        require_live(room)
        actor = require_moderator(room, by_user)
        target = require_target(room, target_user)
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
        save_fields(target, "role", "hand_raised")
        events.participant_event_on_commit(events.PARTICIPANT_UPDATED, target)
        return target


def speaker_remove(*, room: Room, by_user, target_user) -> Participant:
    """Makes a speaker or co-host a listener again (muted).

    Anyone may step down themselves; the host demotes co-hosts and speakers, a co-host demotes
    speakers. The host cannot be demoted. Demoting a listener changes nothing."""
    with transaction.atomic():
        room = lock_room(room.pk)
        require_live(room)
        if by_user.pk == target_user.pk:
            target = require_present(room, by_user.pk)
        else:
            actor = require_moderator(room, by_user)
            target = require_target(room, target_user)
            if target.role == Role.COHOST and actor.role != Role.HOST:
                raise Forbidden("Only the host manages co-hosts.", code="not_host")
        if target.role == Role.HOST:
            raise Conflict("The host's role cannot change.", code="is_host")
        if target.role == Role.LISTENER:
            return target
        target.role = Role.LISTENER
        target.muted = True
        save_fields(target, "role", "muted")
        events.participant_event_on_commit(events.PARTICIPANT_UPDATED, target)
        media_sync_on_commit(room.pk, target.user_id)
        return target


def participant_mute(*, room: Room, by_user, target_user) -> Participant:
    """A host mute: the host mutes a co-host or speaker, a co-host mutes a speaker. The muted
    participant cannot unmute until the host or a co-host lifts it (``participant_mute_lift``)."""
    with transaction.atomic():
        room = lock_room(room.pk)
        require_live(room)
        actor = require_moderator(room, by_user)
        target = require_target(room, target_user)
        check_may_moderate(actor, target)
        if target.role not in SPEAKING_ROLES:
            raise Conflict("Listeners cannot speak anyway.", code="not_speaker")
        if not (target.muted and target.muted_by_host):
            target.muted = True
            target.muted_by_host = True
            save_fields(target, "muted", "muted_by_host")
            events.participant_event_on_commit(events.PARTICIPANT_UPDATED, target)
            media_sync_on_commit(room.pk, target.user_id)
        return target


def participant_mute_lift(*, room: Room, by_user, target_user) -> Participant:
    """Lifts a host mute (same permissions as muting). The participant stays muted until they
    unmute themselves: nobody else turns a microphone on."""
    with transaction.atomic():
        room = lock_room(room.pk)
        require_live(room)
        actor = require_moderator(room, by_user)
        target = require_target(room, target_user)
        check_may_moderate(actor, target)
        if target.muted_by_host:
            target.muted_by_host = False
            save_fields(target, "muted_by_host")
            events.participant_event_on_commit(events.PARTICIPANT_UPDATED, target)
        return target


def check_may_moderate(actor: Participant, target: Participant) -> None:
    if target.role == Role.HOST and actor.pk != target.pk:
        raise Forbidden("Nobody moderates the host.", code="not_host")
    if target.role == Role.COHOST and actor.role != Role.HOST:
        raise Forbidden("Only the host moderates co-hosts.", code="not_host")


def self_mute_set(*, room: Room, user, muted: bool) -> Participant:
    """A participant mutes or unmutes their own microphone. Unmuting needs a speaking role
    (403 ``not_speaker``) and no host mute in force (403 ``muted_by_host``)."""
    with transaction.atomic():
        room = lock_room(room.pk)
        require_live(room)
        participant = require_present(room, user.pk)
        if not muted:
            if participant.role not in SPEAKING_ROLES:
                raise Forbidden("Only speakers can unmute.", code="not_speaker")
            if participant.muted_by_host:
                raise Forbidden("The host muted you.", code="muted_by_host")
        if participant.muted != muted:
            participant.muted = muted
            save_fields(participant, "muted")
            events.participant_event_on_commit(events.PARTICIPANT_UPDATED, participant)
        return participant
