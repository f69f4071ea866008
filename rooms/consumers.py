"""``/ws/rooms/{id}/``: WebRTC signalling and live participant state of one audio room.

Connecting joins the room (as listener, or host for its host) and sends ``room_state``; from
then on the socket receives ``participant_joined``, ``participant_left`` and
``participant_updated`` for every change, whether it came over REST or a socket, and
``room_ended`` (then the socket is closed) when the room ends.

Client messages: ``offer``, ``answer`` and ``ice_candidate`` with ``to`` (a participant's user
id) and ``sdp`` or ``candidate``, relayed to that participant's sockets only, with ``from`` set
by the server; ``raise_hand``, ``lower_hand``, ``mute``, ``unmute`` (the same rules as REST);
``ping``. Anything malformed or not allowed gets an ``error`` frame and changes nothing.

Close codes: 4401 no or bad token, 4403 may not join (blocked by the host, room full, not live
yet), 4404 unknown or ended room, 4001 session revoked, 4503 channel layer unavailable, 1000
after ``room_ended`` or when the participant was removed from the room (left elsewhere).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async

from twitterclone.broadcast import user_group_name
from twitterclone.errors import DomainError, NotFound
from twitterclone.ws import (
    CLOSE_FORBIDDEN,
    CLOSE_LAYER_UNAVAILABLE,
    CLOSE_NOT_FOUND,
    CLOSE_SESSION_REVOKED,
    JsonSocketConsumer,
)

from . import selectors, services
from .events import participant_group_name, participant_payload, room_group_name
from .tasks import checks_run_in_celery

logger = logging.getLogger("twitterclone.rooms")

CLOSE_NORMAL = 1000
SIGNAL_TYPES = ("offer", "answer", "ice_candidate")
STATE_TYPES = ("raise_hand", "lower_hand", "mute", "unmute")

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
        remaining = await database_sync_to_async(services.presence_check)(room_id=room_id, user_id=user_id)
    except Exception:
        logger.exception("presence check of user %s in room %s failed", user_id, room_id)
        return
    if remaining is not None:
        schedule_local_presence_check(room_id, user_id, remaining)


def _user_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isdigit() and len(value) < 20:
        return int(value)
    return None


class RoomConsumer(JsonSocketConsumer):
    room_id: int = 0
    groups_joined: tuple[str, ...] = ()
    connected_to_room = False  # our connection row exists
    is_open = False

    @property
    def user(self):
        return self.scope["user"]

    async def dispatch(self, message: dict[str, Any]) -> None:
        # The user group also carries events for other sockets (notifications): ignore those.
        if message["type"].startswith("websocket.") or hasattr(self, get_handler_name(message)):
            await super().dispatch(message)

    async def connect(self) -> None:
        if not await self.accept_authenticated():
            return
        self.is_open = True
        self.room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        groups = (
            room_group_name(self.room_id),
            participant_group_name(self.room_id, self.user.pk),
            user_group_name(self.user.pk),
        )
        # Groups first, state second: a change between the two arrives as an event after
        # room_state, never lost.
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
            state = await database_sync_to_async(self._connect_in_db)()
        except NotFound as exc:
            await self._refuse(exc, CLOSE_NOT_FOUND)
            return
        except DomainError as exc:
            await self._refuse(exc, CLOSE_FORBIDDEN)
            return
        self.connected_to_room = True
        await self.send_json(state)

    def _connect_in_db(self) -> dict[str, Any]:
        participant = services.participant_connect(room_id=self.room_id, user=self.user, channel_name=self.channel_name)
        return {
            "type": "room_state",
            "room": selectors.room_payload(room_id=self.room_id),
            "you": participant_payload(participant),
        }

    async def _refuse(self, exc: DomainError, code: int) -> None:
        await self.send_error(exc.code, exc.message)
        await self.close(code=code)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.is_open = False
        await super().close(code=code, reason=reason)

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # Redis down: the group entries expire on their own
                logger.info("could not leave %s on disconnect", group, exc_info=True)
        self.groups_joined = ()
        if not self.connected_to_room:
            return
        self.connected_to_room = False
        delay = await database_sync_to_async(services.participant_disconnect)(
            room_id=self.room_id, user_id=self.user.pk, channel_name=self.channel_name
        )
        if delay is not None and not checks_run_in_celery():
            schedule_local_presence_check(self.room_id, self.user.pk, delay)

    # --- client messages -------------------------------------------------------------------

    async def receive_message(self, content: dict[str, Any]) -> None:
        if not self.connected_to_room:
            return
        message_type = content["type"]
        if message_type in SIGNAL_TYPES:
            await self._relay(message_type, content)
        elif message_type in STATE_TYPES:
            await self._change_state(message_type)
        else:
            await self.send_error("unknown_type", f"Unknown message type {message_type!r}.")

    async def _relay(self, message_type: str, content: dict[str, Any]) -> None:
        recipient = _user_id(content.get("to"))
        if recipient is None:
            await self.send_error("invalid", "'to' must be the user id of a participant.")
            return
        message: dict[str, Any] = {"type": message_type, "from": self.user.pk, "to": recipient}
        if message_type == "ice_candidate":
            candidate = content.get("candidate")
            if candidate is not None and not isinstance(candidate, dict):
                await self.send_error("invalid", "'candidate' must be an RTCIceCandidate object or null.")
                return
            message["candidate"] = candidate
        else:
            sdp = content.get("sdp")
            if not isinstance(sdp, str) or not sdp.strip():
                await self.send_error("invalid", f"An {message_type} needs an 'sdp' string.")
                return
            message["sdp"] = sdp
        refusal = await database_sync_to_async(selectors.signal_refusal)(
            room_id=self.room_id, sender_id=self.user.pk, recipient_id=recipient, message_type=message_type
        )
        if refusal is not None:
            await self.send_error(*refusal)
            return
        await self.channel_layer.group_send(
            participant_group_name(self.room_id, recipient), {"type": "signal.relay", "message": message}
        )

    async def _change_state(self, message_type: str) -> None:
        def change() -> None:
            room = selectors.room_visible(room_id=self.room_id, viewer=self.user)
            if message_type == "raise_hand":
                services.hand_raise(room=room, user=self.user)
            elif message_type == "lower_hand":
                services.hand_lower(room=room, user=self.user)
            else:
                services.self_mute_set(room=room, user=self.user, muted=message_type == "mute")

        try:
            await database_sync_to_async(change)()
        except DomainError as exc:
            await self.send_error(exc.code, exc.message)

    # --- channel-layer events ------------------------------------------------------------------

    async def room_event(self, event: dict[str, Any]) -> None:
        if self.is_open:
            await self.send_json(event["event"])

    async def signal_relay(self, event: dict[str, Any]) -> None:
        if self.is_open and self.connected_to_room:
            await self.send_json(event["message"])

    async def room_ended(self, event: dict[str, Any]) -> None:
        self.connected_to_room = False  # the end already cleared our connection
        if self.is_open:
            await self.send_json({"type": "room_ended", "room_id": event["room_id"]})
            await self.close(code=CLOSE_NORMAL)

    async def room_removed(self, event: dict[str, Any]) -> None:
        self.connected_to_room = False
        if self.is_open:
            await self.close(code=CLOSE_NORMAL)

    async def session_revoked(self, event: dict[str, Any]) -> None:
        if self.is_open:
            await self.close(code=CLOSE_SESSION_REVOKED)
