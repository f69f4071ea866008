"""Janus's event callback: a viewer who ``switch``-es to another room's mountpoint is cut off at
once (docs/rooms.md, "Removal is final").

Janus 1.1.2's Streaming ``switch`` moves a viewer to any other mountpoint without checking its pin
(janus_streaming.c, "switch"), and room ids are public. Janus's sample event handler
(``deploy/janus/janus.eventhandler.sampleevh.jcfg``) POSTs the Streaming plugin's events to our
backend (``POST /internal/janus/events``, HTTP basic auth with ``JANUS_EVENTS_SECRET``). In
janus_streaming.c 1.1.2 a viewer's ``start`` (after ``watch``) emits ``{"status": "starting",
"id": <mountpoint>}`` and a ``switch`` emits ``{"status": "switching", "id": <new mountpoint>}``,
each with the ``session_id`` and ``handle_id`` of the viewer's handle (``watch`` itself emits
nothing). ``viewer_events`` picks those (session, handle) pairs out of a batch; the endpoint does
no Janus or database work itself: it hands the pairs to a Celery task (``viewers_enforce``), so
200 listeners joining cost the endpoint only the parsing. The task asks the Admin API for each
handle's ``handle_info`` (the token it attached with names its room and user; the client-set
``opaque_id`` is not trusted) and detaches the handle when it watches a mountpoint other than its
token's room, the rule the periodic media check applies (it stays as the safety net for lost
events).
"""

from __future__ import annotations

import base64
import hmac
import logging
from typing import Any

from django.conf import settings

from .backend import janus_client, janus_enabled
from .janus import STREAMING
from .tokens import token_holder

logger = logging.getLogger("twitterclone.rooms.media")

EVENTS_USER = "janus"  # the sample event handler's ``backend_user``
PLUGIN_EVENT = 64  # JANUS_EVENT_TYPE_PLUGIN (events.h)
VIEWER_STATUSES = frozenset({"starting", "switching"})
MAX_EVENTS = 1000  # a batch holds at most 100 (janus_sampleevh.c); more is not from Janus


def events_enabled() -> bool:
    """The callback is on when rooms run on Janus and ``JANUS_EVENTS_SECRET`` is set."""
    return janus_enabled() and bool(getattr(settings, "JANUS_EVENTS_SECRET", ""))


def events_authorized(authorization: str) -> bool:
    """Is this ``Authorization`` header Janus's (basic auth, ``janus`` and the secret)? Constant
    time in the header's content."""
    secret = getattr(settings, "JANUS_EVENTS_SECRET", "")
    if not secret:
        return False
    expected = "Basic " + base64.b64encode(f"{EVENTS_USER}:{secret}".encode()).decode("ascii")
    return hmac.compare_digest(authorization.encode("utf-8", "replace"), expected.encode())


def _id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def viewer_events(payload: Any) -> list[tuple[int, int]]:
    """The (session id, handle id) of every Streaming viewer that started or switched in this
    event batch (a JSON object, or an array of them when the handler groups events), each once.
    Other events are skipped. Raises ``ValueError`` when ``payload`` is not events at all."""
    events = payload if isinstance(payload, list) else [payload]
    if len(events) > MAX_EVENTS or not all(isinstance(event, dict) for event in events):
        raise ValueError("expected a JSON object or an array of at most 1000 objects")
    viewers: dict[tuple[int, int], None] = {}
    for event in events:
        body = event.get("event")
        if event.get("type") != PLUGIN_EVENT or not isinstance(body, dict) or body.get("plugin") != STREAMING:
            continue
        data = body.get("data")
        status = data.get("status") if isinstance(data, dict) else None
        if not isinstance(status, str) or status not in VIEWER_STATUSES:  # a list is no set member: TypeError
            continue
        session_id, handle_id = _id(event.get("session_id")), _id(event.get("handle_id"))
        if session_id and handle_id:
            viewers[(session_id, handle_id)] = None
    return list(viewers)


def watches_another_room(info: dict[str, Any]) -> tuple[int, int] | None:
    """(room id, user id) of a Streaming handle's token when the handle watches a mountpoint
    other than that room's; None when it may stay (or is not a viewer of ours)."""
    holder = token_holder(info.get("token") or "")
    if holder is None or info.get("plugin") != STREAMING:
        return None
    watching = (info.get("plugin_specific") or {}).get("mountpoint_id")
    if watching is None or int(watching) == holder[0]:
        return None
    return holder


def viewers_enforce(viewers: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Detaches each of these (session id, handle id) handles that watches another room's
    mountpoint than its token's. Returns (room id, user id, mountpoint) of each one detached.
    Handles already gone are skipped. Raises ``JanusError`` when the Admin API cannot answer."""
    detached: list[tuple[int, int, int]] = []
    if not janus_enabled() or not viewers:
        return detached
    with janus_client() as client:
        for session_id, handle_id in viewers:
            info = client.admin_handle_info(int(session_id), int(handle_id))
            holder = watches_another_room(info or {})
            if holder is None:
                continue
            client.admin_detach_handle(int(session_id), int(handle_id))
            mountpoint = int(info["plugin_specific"]["mountpoint_id"])
            logger.warning(
                "detached the Streaming handle of user %s (room %s) watching mountpoint %s", holder[1], holder[0], mountpoint
            )
            detached.append((holder[0], holder[1], mountpoint))
    return detached
