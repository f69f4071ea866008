"""Janus signed tokens (``token_auth_secret`` in deploy/janus/janus.jcfg).

Janus accepts ``<expiry>,janus,<descriptor>...:<base64 HMAC-SHA1 of the part before ':'>`` and,
on ``attach``, checks that the plugin's name is one of the descriptors. Ours carry exactly one
plugin and a descriptor naming the holder, ``tc-r<room id>-u<user id>``, so the token is per user
and per room, and our backend can find a user's handles (the Admin API's ``handle_info`` shows the
token a handle was attached with) and remove the user's tokens from an AudioBridge ``allowed``
list. Janus checks the expiry on every request, keep-alives included: a client refreshes its
token (``GET /api/v1/rooms/{id}/media``) before it expires and sends the new one from then on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time

HOLDER = re.compile(r"^tc-r(?P<room>\d+)-u(?P<user>\d+)$")


def holder(*, room_id: int, user_id: int) -> str:
    return f"tc-r{int(room_id)}-u{int(user_id)}"


def sign_token(
    *, secret: str, plugin: str, room_id: int, user_id: int, ttl_seconds: int, now: float | None = None
) -> str:
    """A token for ``user_id`` in ``room_id`` that may attach to ``plugin`` for ``ttl_seconds``."""
    expiry = int(now if now is not None else time.time()) + int(ttl_seconds)
    data = f"{expiry},janus,{plugin},{holder(room_id=room_id, user_id=user_id)}"
    signature = base64.b64encode(hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()).decode("ascii")
    return f"{data}:{signature}"


def token_holder(token: str) -> tuple[int, int] | None:
    """(room id, user id) a token of ours names, or None for anything else."""
    if not isinstance(token, str) or ":" not in token:
        return None
    for part in token.split(":", 1)[0].split(",")[2:]:
        match = HOLDER.match(part)
        if match:
            return int(match["room"]), int(match["user"])
    return None


def token_expiry(token: str) -> int | None:
    """The expiry (unix time) a signed token carries, or None if it is not one."""
    try:
        return int(token.split(",", 1)[0])
    except (AttributeError, ValueError):
        return None
