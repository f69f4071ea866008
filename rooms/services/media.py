"""The media object a participant gets: how their client sends and receives the room's audio."""

from __future__ import annotations

from typing import Any

from twitterclone.errors import ServiceUnavailable

from ..models import Room
from ._base import require_live, require_present


def media_get(*, room: Room, user) -> dict[str, Any]:
    """The media object of ``user`` in the live ``room`` (``rooms.media.service.media_for``):
    403 ``not_participant`` unless present, 409 unless live, 503 ``media_unavailable`` when
    Janus cannot be reached to admit a stage member."""
    from ..media.janus import JanusError
    from ..media.service import media_for

    room = Room.objects.get(pk=room.pk)
    require_live(room)
    participant = require_present(room, user.pk)
    try:
        return media_for(room_id=room.pk, participant=participant, user=user)
    except JanusError as exc:
        raise ServiceUnavailable(
            "The media server is unavailable; try again shortly.", code="media_unavailable"
        ) from exc
