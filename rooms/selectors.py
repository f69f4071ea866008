"""Audio-room reads: what a user may list and open, and who may signal whom."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from twitterclone.errors import NotFound

from .models import SPEAKING_ROLES, Participant, Role, Room, RoomState

# Live rooms of followed hosts sort above all others: their rank is their id plus this offset,
# so one keyset (``-rank``) pages through both groups, newest first within each.
FOLLOWED_RANK_OFFSET = 2**50

ROLE_ORDER = Case(
    When(role=Role.HOST, then=Value(0)),
    When(role=Role.COHOST, then=Value(1)),
    When(role=Role.SPEAKER, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def present_participant(*, room_id: int, user_id: int) -> Participant | None:
    """This user's present participation in this room, if any."""
    return Participant.objects.present().filter(room_id=room_id, user_id=user_id).first()


def present_participants() -> QuerySet[Participant]:
    """Present participants with their users, host first, then co-hosts, speakers, listeners,
    each in the order they joined."""
    return (
        Participant.objects.present()
        .select_related("user")
        .annotate(role_order=ROLE_ORDER)
        .order_by("role_order", "joined_at", "id")
    )


def rooms_visible_to(viewer) -> QuerySet[Room]:
    """Rooms the viewer may see: not those of a host who blocks them, nor of suspended or
    deactivated hosts (their own rooms excepted)."""
    from social.models import Block

    queryset = Room.objects.all()
    if viewer is None or not viewer.is_authenticated:
        return queryset.filter(host__is_active=True, host__is_suspended=False)
    return queryset.filter(Q(host_id=viewer.pk) | Q(host__is_active=True, host__is_suspended=False)).exclude(
        host_id__in=Block.objects.filter(blocked_id=viewer.pk).values("blocker_id")
    )


def _with_counts(queryset: QuerySet[Room]) -> QuerySet[Room]:
    present = Q(participants__left_at__isnull=True)
    return queryset.annotate(
        listener_count=Count("participants", filter=present & Q(participants__role=Role.LISTENER)),
        speaker_count=Count("participants", filter=present & Q(participants__role__in=SPEAKING_ROLES)),
    )


def room_list_for(*, viewer, state: str | None = None) -> QuerySet[Room]:
    """Rooms for the list endpoint, optionally of one state, ordered by ``rank`` (descending):
    live rooms whose host the viewer follows first, then the rest, newest first in each group.

    Each room carries ``listener_count``, ``speaker_count`` and ``stage`` (its present host,
    co-hosts and speakers): a page costs two queries whatever its size."""
    from social.models import Follow

    queryset = rooms_visible_to(viewer).select_related("host")
    if state:
        queryset = queryset.filter(state=state)
    if viewer is not None and viewer.is_authenticated:
        followed = Exists(Follow.objects.filter(follower_id=viewer.pk, followee_id=OuterRef("host_id")))
        rank = Case(
            When(followed, state=RoomState.LIVE, then=F("id") + FOLLOWED_RANK_OFFSET),
            default=F("id"),
            output_field=BigIntegerField(),
        )
    else:
        rank = F("id")
    stage = present_participants().filter(role__in=SPEAKING_ROLES)
    return _with_counts(queryset).annotate(rank=rank).prefetch_related(Prefetch("participants", stage, "stage"))


def room_visible(*, room_id: int, viewer) -> Room:
    """The bare room (no participants) if ``viewer`` may see it, else a 404."""
    room = rooms_visible_to(viewer).filter(pk=room_id).first()
    if room is None:
        raise NotFound("No such room.")
    return room


def room_get_for(*, room_id: int, viewer) -> Room:
    """One room as ``viewer`` may see it, with all present participants (``stage``) and the
    counts. A room the viewer may not see is a 404, like one that does not exist."""
    queryset = _with_counts(rooms_visible_to(viewer).filter(pk=room_id)).select_related("host")
    room = queryset.prefetch_related(Prefetch("participants", present_participants(), "stage")).first()
    if room is None:
        raise NotFound("No such room.")
    return room


def room_payload(*, room_id: int) -> dict | None:
    """The JSON form of a room with all its present participants (for ``room_state``)."""
    from .serializers import RoomSerializer, json_safe

    room = (
        _with_counts(Room.objects.filter(pk=room_id))
        .select_related("host")
        .prefetch_related(Prefetch("participants", present_participants(), "stage"))
        .first()
    )
    return None if room is None else json_safe(RoomSerializer(room).data)


def signal_refusal(
    *, roster: Mapping[int, str], sender_id: int, recipient_id: int, message_type: str
) -> tuple[str, str] | None:
    """Why a signalling message may not be relayed, as ``(code, message)``, or None when it may.

    ``roster`` maps the user ids of the participants present in the live room to their roles (the
    room socket keeps it from ``room_state`` and the participant events, so relaying a frame reads
    no database). Both ends must be present; only the host, co-hosts and speakers send offers;
    anyone present may answer and send ICE candidates."""
    if sender_id == recipient_id:
        return "invalid", "You cannot signal yourself."
    if sender_id not in roster:
        return "not_participant", "You are not in this room."
    if recipient_id not in roster:
        return "unknown_recipient", "That user is not in this room."
    if message_type == "offer" and roster[sender_id] not in SPEAKING_ROLES:
        return "forbidden", "Only the host, co-hosts and speakers send offers."
    return None
