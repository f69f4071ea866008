"""The pin of a room's Streaming mountpoint: what keeps a removed listener out (docs/rooms.md,
"Removal is final").

A listener's Janus token opens the whole Streaming plugin for an hour (signed tokens name plugins,
not mountpoints), so what admits a viewer to one room's mountpoint is its ``pin``. The pin is
random and stored with the room (``Room.media_pin``, set when the room starts). When the host
removes someone (a block: ``rooms.services.participants_remove_blocked``) the room gets a new
pin in the same transaction; after commit Janus is given it (Streaming ``edit`` with
``new_pin``) and every socket of the room that listens gets ``media_changed`` (reason ``pin``)
with its new media object. Janus checks a pin on ``watch`` only, so everyone already watching
keeps receiving; the removed listener, whose handles are detached, holds only the old pin, and
a ``watch`` with it is refused (457). If Janus cannot be reached then, the periodic media check
gives the mountpoint the stored pin (it compares them on every run).
"""

from __future__ import annotations

import logging

from twitterclone import effects

from ..models import Room, RoomState
from .backend import janus_client, janus_enabled, mountpoint_secret, new_pin
from .janus import STREAMING, JanusClient, JanusError

logger = logging.getLogger("twitterclone.rooms.media")

REASON_PIN = "pin"


def room_pin(room_id: int) -> str:
    """The room's current mountpoint pin. A room without one (started before pins were stored)
    gets one here; the media check gives it to Janus."""
    pin = Room.objects.filter(pk=room_id).values_list("media_pin", flat=True).first() or ""
    if not pin:
        Room.objects.filter(pk=room_id, media_pin="").update(media_pin=new_pin())
        pin = Room.objects.filter(pk=room_id).values_list("media_pin", flat=True).first() or ""
    return pin


def pin_rotate_locked(room: Room) -> None:
    """Gives the (locked, live) room a new pin in this transaction; after commit, Janus gets it
    and the room's listeners get their new media objects (``pin_apply``)."""
    if not janus_enabled():
        return
    room.media_pin = new_pin()
    room.save(update_fields=["media_pin"])
    effects.after_commit(pin_apply_quietly, room.pk)


def set_mountpoint_pin(client: JanusClient, room_id: int, pin: str) -> None:
    with client.handle(STREAMING) as streaming:
        streaming.streaming_set_pin(mountpoint=room_id, secret=mountpoint_secret(room_id), pin=pin)


def pin_apply(room_id: int) -> bool:
    """Gives the live room's mountpoint its stored pin, then tells the room's listeners (their
    sockets get ``media_changed`` with reason ``pin``). Returns False if the room is not live.
    Raises ``JanusError`` when Janus cannot do it."""
    from .. import events

    pin = Room.objects.filter(pk=room_id, state=RoomState.LIVE).values_list("media_pin", flat=True).first()
    if not pin:
        return False
    with janus_client() as client:
        set_mountpoint_pin(client, room_id, pin)
    events.media_reset_on_commit(room_id, reason=REASON_PIN)
    return True


def pin_apply_quietly(room_id: int) -> None:
    """``pin_apply`` with Janus errors logged (the media check applies the pin later)."""
    try:
        pin_apply(room_id)
    except JanusError:
        logger.warning("room %s: Janus did not take the new pin; the media check will", room_id, exc_info=True)
