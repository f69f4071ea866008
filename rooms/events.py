"""Room events sent over the channel layer, always after the surrounding transaction commits.

Group names:

- ``room.<room_id>``: every socket in the room (participant events, ``room_ended``);
- ``room.<room_id>.user.<user_id>``: the sockets of one participant in that room (relayed
  signalling addressed to them).

A participant who leaves while sockets are open gets ``room.removed`` on exactly those channels.
"""

from __future__ import annotations

from typing import Any

from twitterclone import effects

from .models import Participant

PARTICIPANT_JOINED = "participant_joined"
PARTICIPANT_LEFT = "participant_left"
PARTICIPANT_UPDATED = "participant_updated"


def room_group_name(room_id: int) -> str:
    return f"room.{room_id}"


def participant_group_name(room_id: int, user_id: int) -> str:
    return f"room.{room_id}.user.{user_id}"


def participant_payload(participant: Participant) -> dict[str, Any]:
    from .serializers import ParticipantSerializer, json_safe

    return json_safe(ParticipantSerializer(participant).data)


def participant_event_on_commit(event_type: str, participant: Participant, **extra: Any) -> None:
    """Tells every socket in the room about a participant change, once the change commits.
    The payload is taken now, so it describes the state this transaction wrote."""
    event = {"type": event_type, "room_id": participant.room_id, "participant": participant_payload(participant)}
    event.update(extra)
    effects.push_after_commit([(room_group_name(participant.room_id), {"type": "room.event", "event": event})])


def room_ended_on_commit(room_id: int) -> None:
    """Every socket in the room gets ``room_ended`` and is closed, once the end commits."""
    effects.push_after_commit([(room_group_name(room_id), {"type": "room.ended", "room_id": room_id})])


def sockets_removed_on_commit(room_id: int, channel_names: list[str]) -> None:
    """Closes the given room sockets (those a participant had open when they left), once the
    leave commits. Addressed by channel, not by the participant's group, so a socket the same
    user opens right after (rejoining) is not closed by mistake."""
    effects.send_to_channels_after_commit(channel_names, {"type": "room.removed", "room_id": room_id})


MEDIA_REPAIRED = "repaired"  # the room's lost Janus room was recreated: reconnect
MEDIA_PIN = "pin"  # the mountpoint has a new pin: keep playing, use the new object next time
MEDIA_ROLE = "role"  # the participant's can_speak changed: reconnect (stage <-> mountpoint)


def media_reset_on_commit(room_id: int, *, reason: str = MEDIA_REPAIRED) -> None:
    """The sockets in the room get ``media_changed`` (with ``reason``) and a fresh media object
    (their own token): all of them after the room's lost Janus room was recreated
    (``repaired``), those not on the stage after the mountpoint got a new pin (``pin``)."""
    message = {"type": "room.media_reset", "room_id": room_id, "reason": reason}
    effects.push_after_commit([(room_group_name(room_id), message)])
