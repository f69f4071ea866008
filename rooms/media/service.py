"""What the rooms ask of Janus, in one place (docs/rooms.md, "Media server").

- ``media_room_provision``: the AudioBridge room (the stage, with a token ACL), the Streaming
  mountpoint (listeners) and the ``rtp_forward`` of the mix into it. Idempotent. The room start
  calls it before its transaction commits, so Janus unreachable means no room goes live.
- ``media_room_teardown``: destroys both (idempotent; after commit, retried by its task).
- ``media_for``: the media object of one participant (``GET /rooms/{id}/media``, ``room_state``,
  ``media_changed``): the backend, the Janus URL, a short-lived token naming its holder, the
  plugin and the room or mountpoint, ``can_speak``, the ICE servers. A stage member's token is
  added to the AudioBridge room's ``allowed`` list: only they can join the stage with it.
- ``media_participant_sync``: after a change of one participant (left, demoted, host-muted),
  makes Janus match: their tokens leave the ``allowed`` list and their AudioBridge handles are
  detached when they may not speak; all their handles are detached when they are not in the
  live room any more. Idempotent (its task retries it).
- ``media_check``: the periodic safety net (Celery beat): recreates a live room's lost Janus room,
  mountpoint or forwarder and tells its sockets (``media_changed``, new tokens), gives a
  mountpoint that missed its new pin the stored one (``rooms.media.pins``), prunes ``allowed``
  lists, and detaches every handle whose holder is no longer entitled to it (a listener who left
  and watches again, or a viewer who ``switch``-ed to another room's mountpoint: Janus's event
  callback, ``rooms.media.viewers``, detaches that one at once; this is its safety net).

Who may speak (``can_speak``): host, co-hosts and speakers, unless muted by a host. A host mute
takes the participant off the stage in Janus (their AudioBridge handle is detached and their
token revoked) and gives them the listeners' mountpoint until it is lifted: in Janus 1.1.2 an
AudioBridge participant can undo the plugin's ``mute`` with its own ``configure`` request
(janus_audiobridge.c, "configure" sets ``participant->muted`` from the request), so only
removing them from the mix holds whatever the client does.
"""

from __future__ import annotations

import logging
from typing import Any

from ..ice import ice_servers_for
from ..models import Participant, RoomState, may_speak
from .backend import (
    BACKEND_JANUS,
    BACKEND_P2P,
    janus_client,
    janus_enabled,
    mountpoint_secret,
    public_url,
    room_secret,
)
from .backend import token_ttl_seconds as _ttl
from .janus import AUDIOBRIDGE, AUDIOBRIDGE_NO_SUCH_ROOM, STREAMING, JanusClient, JanusError
from .pins import REASON_PIN, room_pin, set_mountpoint_pin
from .tokens import sign_token, token_expiry, token_holder
from .viewers import watches_another_room

logger = logging.getLogger("twitterclone.rooms.media")

FORWARD_HOST = "127.0.0.1"  # the mountpoint listens on Janus's own loopback


def can_speak(participant: Participant | None) -> bool:
    """May this participant be on the stage (send audio into the AudioBridge room)?"""
    return participant is not None and may_speak(participant.role, participant.muted_by_host)


# --- rooms ------------------------------------------------------------------------------------


def _provision(client: JanusClient, room_id: int, description: str, pin: str = "") -> None:
    pin = pin or room_pin(room_id)
    with client.handle(STREAMING) as streaming:
        port = streaming.streaming_create_audio(
            mountpoint=room_id, secret=mountpoint_secret(room_id), pin=pin, description=description
        )
    with client.handle(AUDIOBRIDGE) as bridge:
        secret = room_secret(room_id)
        bridge.audiobridge_create(room=room_id, secret=secret, description=description)
        bridge.audiobridge_allowed(room=room_id, secret=secret, action="enable")
        forwarders = bridge.audiobridge_forwarders(room=room_id, secret=secret)
        if not any(int(f.get("port") or 0) == port for f in forwarders):
            bridge.audiobridge_rtp_forward(room=room_id, secret=secret, host=FORWARD_HOST, port=port)


def media_room_provision(*, room_id: int, description: str = "", pin: str = "") -> None:
    """Creates (or completes) the room's AudioBridge room, mountpoint (with ``pin``, by default
    the room's stored one) and forwarder. Idempotent. Raises ``JanusUnavailable`` /
    ``JanusError`` when Janus cannot do it."""
    with janus_client() as client:
        _provision(client, room_id, description, pin)


def media_room_teardown(*, room_id: int) -> None:
    """Destroys the room's AudioBridge room and mountpoint (everyone in them is dropped).
    Idempotent: what is gone already counts as done."""
    with janus_client() as client:
        with client.handle(AUDIOBRIDGE) as bridge:
            bridge.audiobridge_destroy(room=room_id, secret=room_secret(room_id))
        with client.handle(STREAMING) as streaming:
            streaming.streaming_destroy(mountpoint=room_id, secret=mountpoint_secret(room_id))


# --- participants -------------------------------------------------------------------------------


def media_for(*, room_id: int, participant: Participant | None, user) -> dict[str, Any]:
    """The media object of ``user`` (present in the live room as ``participant``). Without
    Janus: ``{"backend": "p2p", "ice_servers"}``. With Janus it signs a fresh token and, for a
    stage member, adds it to the room's ``allowed`` list (recreating a lost Janus room first).
    Raises ``JanusUnavailable`` when Janus cannot be reached for that."""
    ice_servers = ice_servers_for(user=user)
    if not janus_enabled():
        return {"backend": BACKEND_P2P, "ice_servers": ice_servers}
    from django.conf import settings

    speak = can_speak(participant)
    plugin = AUDIOBRIDGE if speak else STREAMING
    token = sign_token(
        secret=settings.JANUS_TOKEN_SECRET, plugin=plugin, room_id=room_id, user_id=user.pk, ttl_seconds=_ttl()
    )
    if speak:
        with janus_client() as client:
            try:
                _allow(client, room_id, token)
            except JanusError as exc:
                if exc.code != AUDIOBRIDGE_NO_SUCH_ROOM:
                    raise
                logger.warning("Janus room %s was missing; recreating it", room_id)
                _provision(client, room_id, "")
                _allow(client, room_id, token)
    media: dict[str, Any] = {
        "backend": BACKEND_JANUS,
        "url": public_url(),
        "token": token,
        "plugin": plugin,
        "can_speak": speak,
        "ice_servers": ice_servers,
    }
    if speak:
        media["room"] = room_id
    else:
        media["mountpoint"] = room_id
        media["pin"] = room_pin(room_id)
    return media


def _allow(client: JanusClient, room_id: int, token: str) -> None:
    with client.handle(AUDIOBRIDGE) as bridge:
        bridge.audiobridge_allowed(room=room_id, secret=room_secret(room_id), action="add", tokens=[token])


def _revoke(client: JanusClient, room_id: int, holders: set[int] | None, *, keep: set[int] = frozenset()) -> int:
    """Removes from the room's ``allowed`` list the tokens of ``holders`` (user ids), or, with
    ``holders=None``, of everyone not in ``keep`` and every expired token. Returns how many
    were removed."""
    import time

    now = time.time()
    secret = room_secret(room_id)
    with client.handle(AUDIOBRIDGE) as bridge:
        try:
            tokens = bridge.audiobridge_allowed(room=room_id, secret=secret, action="enable")
        except JanusError as exc:
            if exc.code == AUDIOBRIDGE_NO_SUCH_ROOM:
                return 0
            raise
        doomed = []
        for token in tokens:
            holder = token_holder(token)
            if holder is None or holder[0] != room_id:
                continue
            user_id = holder[1]
            expired = (token_expiry(token) or 0) < now
            if (holders is not None and user_id in holders) or (holders is None and (user_id not in keep or expired)):
                doomed.append(token)
        if doomed:
            bridge.audiobridge_allowed(room=room_id, secret=secret, action="remove", tokens=doomed)
    return len(doomed)


def media_participant_sync(*, room_id: int, user_id: int) -> None:
    """Makes Janus match one participant's state (see the module docstring). Idempotent."""
    if not janus_enabled():
        return
    participant = (
        Participant.objects.present().filter(room_id=room_id, user_id=user_id, room__state=RoomState.LIVE).first()
    )
    if can_speak(participant):
        return
    with janus_client() as client:
        _revoke(client, room_id, {user_id})
        for session_id, handle_id, info in client.admin_handles():
            if token_holder(info.get("token") or "") != (room_id, user_id):
                continue
            if participant is None or info.get("plugin") == AUDIOBRIDGE:
                client.admin_detach_handle(session_id, handle_id)
                logger.info("detached %s handle of user %s in room %s", info.get("plugin"), user_id, room_id)


# --- the periodic check ---------------------------------------------------------------------------


LOST, WRONG_PIN, INTACT = "lost", "wrong_pin", "intact"


def _room_state(client: JanusClient, room_id: int, pin: str) -> str:
    """LOST (the AudioBridge room, mountpoint or forwarder is missing), WRONG_PIN (the mountpoint
    does not have the stored pin) or INTACT."""
    with client.handle(AUDIOBRIDGE) as bridge:
        if not bridge.audiobridge_exists(room=room_id):
            return LOST
        forwarders = bridge.audiobridge_forwarders(room=room_id, secret=room_secret(room_id))
    with client.handle(STREAMING) as streaming:
        info = streaming.streaming_info(mountpoint=room_id, secret=mountpoint_secret(room_id))
    if info is None or not forwarders:
        return LOST
    return INTACT if info.get("pin") == pin else WRONG_PIN


def _handle_entitled(room_id: int, user_id: int, info: dict, people: dict[int, bool]) -> bool:
    """May this handle (attached with a token naming ``user_id`` in ``room_id``) stay? Its holder
    must be present; on the AudioBridge, allowed to speak; on the Streaming plugin, watching
    nothing or that room's mountpoint: Janus 1.1.2's Streaming ``switch`` moves a viewer to any
    mountpoint without checking its pin (janus_streaming.c, "switch"), so a viewer who switched
    to another room's mountpoint is cut off here."""
    if user_id not in people:
        return False
    plugin = info.get("plugin")
    if plugin == AUDIOBRIDGE:
        return people[user_id]
    if plugin == STREAMING:
        return watches_another_room(info) is None  # the event callback's rule (rooms.media.viewers)
    return True


def media_check() -> dict[str, list]:
    """Repairs and enforcement for every live room (see the module docstring). Returns what it
    did: ``{"repaired": [room ids], "pins": [room ids whose mountpoint got its stored pin],
    "detached": [(room id, user id, plugin)]}``."""
    from .. import events

    result: dict[str, list] = {"repaired": [], "pins": [], "detached": []}
    if not janus_enabled():
        return result
    entitled: dict[int, dict[int, bool]] = {}
    rows = Participant.objects.present().filter(room__state=RoomState.LIVE)
    for room_id, user_id, role, muted_by_host in rows.values_list("room_id", "user_id", "role", "muted_by_host"):
        entitled.setdefault(room_id, {})[user_id] = may_speak(role, muted_by_host)
    from ..models import Room

    pins = dict(Room.objects.filter(state=RoomState.LIVE).values_list("id", "media_pin"))
    for room_id in pins:
        entitled.setdefault(room_id, {})
    with janus_client() as client:
        for room_id, people in entitled.items():
            pin = pins.get(room_id) or room_pin(room_id)
            state = _room_state(client, room_id, pin)
            if state == LOST:
                logger.warning("Janus lost room %s; recreating it", room_id)
                _provision(client, room_id, "", pin)
                result["repaired"].append(room_id)
                continue
            if state == WRONG_PIN:
                logger.warning("the mountpoint of room %s had another pin; giving it the stored one", room_id)
                set_mountpoint_pin(client, room_id, pin)
                result["pins"].append(room_id)
            _revoke(client, room_id, None, keep={user for user, speak in people.items() if speak})
        for session_id, handle_id, info in client.admin_handles():
            holder = token_holder(info.get("token") or "")
            if holder is None:
                continue  # our own backend's sessions, or not a room token
            room_id, user_id = holder
            if not _handle_entitled(room_id, user_id, info, entitled.get(room_id, {})):
                client.admin_detach_handle(session_id, handle_id)
                result["detached"].append((room_id, user_id, info.get("plugin")))
    for room_id in result["repaired"]:
        events.media_reset_on_commit(room_id)
    for room_id in result["pins"]:
        events.media_reset_on_commit(room_id, reason=REASON_PIN)
    return result


def media_check_quietly() -> None:
    """``media_check`` with Janus errors logged, not raised: for the in-process heartbeat."""
    try:
        media_check()
    except JanusError:
        logger.warning("media check: Janus unavailable", exc_info=True)
