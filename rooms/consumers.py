"""``/ws/rooms/{id}/``: WebRTC signalling and live participant state of one audio room.

Connecting joins the room (as listener, or host for its host) and sends ``room_state``; from
then on the socket receives ``participant_joined``, ``participant_left`` and
``participant_updated`` for every change, whether it came over REST or a socket, and
``room_ended`` (then the socket is closed) when the room ends.

Client messages: ``offer``, ``answer`` and ``ice_candidate`` with ``to`` (a participant's user
id) and ``sdp`` or ``candidate``, relayed to that participant's sockets only, with ``from`` set
by the server; ``raise_hand``, ``lower_hand``, ``mute``, ``unmute`` (the same rules as REST);
``ping``. Anything malformed or not allowed gets an ``error`` frame and changes nothing. The
frame gate (validation, rate limit) and the guaranteed clean-up are the base class's
(``twitterclone.ws.JsonSocketConsumer``).

Media (docs/rooms.md, "Media server"): ``room_state`` carries ``media``, the object of
``GET /rooms/{id}/media`` (``null``, with an ``error`` frame ``media_unavailable``, when Janus
cannot be reached); on Janus, when this user's ``can_speak`` changes (promotion, demotion, host
mute or its lift) the socket sends ``media_changed`` (reason ``role``) with a new media object,
as it does for everyone after the room's lost Janus room was recreated (``room.media_reset``,
reason ``repaired``) and for those not on the stage after the mountpoint got a new pin (reason
``pin``: keep playing, use the new object for the next ``watch``).

Relaying reads no database: the socket keeps the room's roster (present participants and their
roles) from ``room_state`` and the participant events, which every change sends. While open, the
socket's connection row is kept fresh by this process's heartbeat (``rooms.heartbeat``), so a
socket that ends without ``disconnect()`` (a killed server) is found stale and its participant
leaves after the grace period.

Close codes: 4401 no or bad token, 4403 may not join (blocked by the host, room full, not live
yet), 4404 unknown or ended room, 4001 session revoked, 4429 kept flooding over the frame rate
limit, 4503 channel layer unavailable, 1000 after ``room_ended`` or when the participant was
removed from the room (left elsewhere, or their presence lapsed).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from twitterclone.broadcast import user_group_name
from twitterclone.errors import DomainError, NotFound
from twitterclone.socket_threads import socket_database_sync_to_async
from twitterclone.ws import (
    CLOSE_FORBIDDEN,
    CLOSE_LAYER_UNAVAILABLE,
    CLOSE_NOT_FOUND,
    CLOSE_SESSION_REVOKED,
    JsonSocketConsumer,
)
from twitterclone.ws_frames import Field, object_or_null, sdp, user_id

from . import events, heartbeat, selectors, services
from .events import participant_group_name, participant_payload, room_group_name
from .models import may_speak

logger = logging.getLogger("twitterclone.rooms")

CLOSE_NORMAL = 1000

# The client frames of a room socket (besides ``ping``) and their fields.
ROOM_FRAME_TYPES = {
    "offer": {"to": Field(user_id), "sdp": Field(sdp)},
    "answer": {"to": Field(user_id), "sdp": Field(sdp)},
    "ice_candidate": {"to": Field(user_id), "candidate": Field(object_or_null, required=False)},
    "raise_hand": {},
    "lower_hand": {},
    "mute": {},
    "unmute": {},
}

# In-process presence checks (no Celery worker); kept referenced until they finish.
_local_checks: set[asyncio.Task] = set()


def schedule_local_presence_check(room_id: int, user_id: int, delay: float) -> None:
    """Runs ``services.presence_check`` in this process after ``delay`` seconds (and again while
    the grace period is still running). Used when Celery runs tasks eagerly."""
    loop = asyncio.get_running_loop()

    def fire() -> None:
        task = loop.create_task(_local_presence_check(room_id, user_id))
        _local_checks.add(task)
        task.add_done_callback(_local_checks.discard)

    loop.call_later(max(delay, 0), fire)


async def _local_presence_check(room_id: int, user_id: int) -> None:
    try:
        remaining = await socket_database_sync_to_async(services.presence_check)(room_id=room_id, user_id=user_id)
    except Exception:
        logger.exception("presence check of user %s in room %s failed", user_id, room_id)
        return
    if remaining is not None:
        schedule_local_presence_check(room_id, user_id, remaining)


def roster_from(room: dict[str, Any] | None) -> dict[int, str]:
    """User id → role of the participants in a ``room_state`` room."""
    if room is None or room.get("state") != "live":
        return {}
    return {p["user"]["id"]: p["role"] for p in room.get("participants", [])}


class RoomConsumer(JsonSocketConsumer):
    frame_types = ROOM_FRAME_TYPES
    room_id: int = 0
    groups_joined: tuple[str, ...] = ()
    connected_to_room = False  # our connection row exists
    can_speak: bool | None = None  # on Janus: what our last media object said

    @property
    def user(self):
        return self.scope["user"]

    async def connect(self) -> None:
        self.roster: dict[int, str] = {}
        if not await self.accept_authenticated():
            return
        self.room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        groups = (
            room_group_name(self.room_id),
            participant_group_name(self.room_id, self.user.pk),
            user_group_name(self.user.pk),
        )
        # Groups first, state second: a change between the two arrives as an event after
        # room_state, never lost (and the events replayed onto the roster leave it right).
        try:
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
        except Exception:
            logger.warning("channel layer unavailable; closing room socket with 4503", exc_info=True)
            self.groups_joined = groups
            await self.close(code=CLOSE_LAYER_UNAVAILABLE)
            return
        self.groups_joined = groups
        try:
            state = await socket_database_sync_to_async(self._connect_in_db)()
        except NotFound as exc:
            await self._refuse(exc, CLOSE_NOT_FOUND)
            return
        except DomainError as exc:
            await self._refuse(exc, CLOSE_FORBIDDEN)
            return
        self.connected_to_room = True
        self.roster = roster_from(state["room"])
        heartbeat.register(self)
        await self.send_json(state)
        if state["media"] is None:
            await self.send_error("media_unavailable", "The media server is unavailable; try again shortly.")

    def _connect_in_db(self) -> dict[str, Any]:
        participant = services.participant_connect(room_id=self.room_id, user=self.user, channel_name=self.channel_name)
        return {
            "type": "room_state",
            "room": selectors.room_payload(room_id=self.room_id),
            "you": participant_payload(participant),
            "media": self._media_in_db(participant),
        }

    def _media_in_db(self, participant=None) -> dict[str, Any] | None:
        from .media.janus import JanusError
        from .media.service import media_for

        if participant is None:
            participant = selectors.present_participant(room_id=self.room_id, user_id=self.user.pk)
        try:
            media = media_for(room_id=self.room_id, participant=participant, user=self.user)
        except JanusError:
            logger.warning("no media for user %s in room %s: Janus unavailable", self.user.pk, self.room_id)
            return None
        self.can_speak = media.get("can_speak")
        return media

    async def _send_media_changed(self, reason: str) -> None:
        media = await socket_database_sync_to_async(self._media_in_db)()
        if self.is_open and self.connected_to_room:
            if media is None:
                await self.send_error("media_unavailable", "The media server is unavailable; try again shortly.")
            else:
                frame = {"type": "media_changed", "room_id": self.room_id, "reason": reason, "media": media}
                await self.send_json(frame)

    async def _refuse(self, exc: DomainError, code: int) -> None:
        await self.send_error(exc.code, exc.message)
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        heartbeat.unregister(self)
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # Redis down: the group entries expire on their own
                logger.info("could not leave %s on disconnect", group, exc_info=True)
        self.groups_joined = ()
        if not self.connected_to_room:
            return
        self.connected_to_room = False
        delay = await socket_database_sync_to_async(services.participant_disconnect)(
            room_id=self.room_id, user_id=self.user.pk, channel_name=self.channel_name
        )
        if delay is not None and not services.checks_run_in_celery():
            schedule_local_presence_check(self.room_id, self.user.pk, delay)

    # --- client frames (already validated against ROOM_FRAME_TYPES) -------------------------------

    async def receive_offer(self, fields: dict[str, Any]) -> None:
        await self._relay("offer", fields["to"], {"sdp": fields["sdp"]})

    async def receive_answer(self, fields: dict[str, Any]) -> None:
        await self._relay("answer", fields["to"], {"sdp": fields["sdp"]})

    async def receive_ice_candidate(self, fields: dict[str, Any]) -> None:
        await self._relay("ice_candidate", fields["to"], {"candidate": fields["candidate"]})

    async def _relay(self, message_type: str, recipient: int, payload: dict[str, Any]) -> None:
        if not self.connected_to_room:
            return
        refusal = selectors.signal_refusal(
            roster=self.roster, sender_id=self.user.pk, recipient_id=recipient, message_type=message_type
        )
        if refusal is not None:
            await self.send_error(*refusal)
            return
        message = {"type": message_type, "from": self.user.pk, "to": recipient, **payload}
        await self.channel_layer.group_send(
            participant_group_name(self.room_id, recipient), {"type": "signal.relay", "message": message}
        )

    async def receive_raise_hand(self, fields: dict[str, Any]) -> None:
        await self._change_state(services.hand_raise)

    async def receive_lower_hand(self, fields: dict[str, Any]) -> None:
        await self._change_state(services.hand_lower)

    async def receive_mute(self, fields: dict[str, Any]) -> None:
        await self._change_state(services.self_mute_set, muted=True)

    async def receive_unmute(self, fields: dict[str, Any]) -> None:
        await self._change_state(services.self_mute_set, muted=False)

    async def _change_state(self, service, **kwargs: Any) -> None:
        if not self.connected_to_room:
            return

        def change() -> None:
            room = selectors.room_visible(room_id=self.room_id, viewer=self.user)
            service(room=room, user=self.user, **kwargs)

        try:
            await socket_database_sync_to_async(change)()
        except DomainError as exc:
            await self.send_error(exc.code, exc.message)

    # --- channel-layer events ------------------------------------------------------------------

    async def room_event(self, event: dict[str, Any]) -> None:
        payload = event["event"]
        self._apply_to_roster(payload)
        if self.is_open:
            await self.send_json(payload)
        if payload["type"] == "participant_updated" and self.can_speak is not None and self.connected_to_room:
            participant = payload["participant"]
            if participant["user"]["id"] == self.user.pk:
                speak = may_speak(participant["role"], participant["muted_by_host"])
                if speak != self.can_speak:
                    await self._send_media_changed(events.MEDIA_ROLE)

    async def room_media_reset(self, event: dict[str, Any]) -> None:
        reason = event.get("reason") or events.MEDIA_REPAIRED
        if reason == events.MEDIA_PIN and self.can_speak:
            return  # the stage does not use the mountpoint's pin
        if self.connected_to_room:
            await self._send_media_changed(reason)

    def _apply_to_roster(self, payload: dict[str, Any]) -> None:
        participant = payload.get("participant")
        if not isinstance(participant, dict):
            return
        participant_id = participant["user"]["id"]
        if payload["type"] == "participant_left":
            self.roster.pop(participant_id, None)
        else:  # participant_joined, participant_updated
            self.roster[participant_id] = participant["role"]

    async def signal_relay(self, event: dict[str, Any]) -> None:
        if self.is_open and self.connected_to_room:
            await self.send_json(event["message"])

    async def room_ended(self, event: dict[str, Any]) -> None:
        self.connected_to_room = False  # the end already cleared our connection
        self.roster = {}
        if self.is_open:
            await self.send_json({"type": "room_ended", "room_id": event["room_id"]})
            await self.close(code=CLOSE_NORMAL)

    async def room_removed(self, event: dict[str, Any]) -> None:
        self.connected_to_room = False
        self.roster = {}
        if self.is_open:
            await self.close(code=CLOSE_NORMAL)

    async def session_revoked(self, event: dict[str, Any]) -> None:
        if self.is_open:
            await self.close(code=CLOSE_SESSION_REVOKED)

    async def presence_lapsed(self) -> None:
        """Called by the heartbeat when this socket's connection row is gone (swept as stale
        while this process stalled): the participant may have left; the client reconnects."""
        self.connected_to_room = False
        if self.is_open:
            await self.close(code=CLOSE_NORMAL)
