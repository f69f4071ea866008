"""ICE servers for WebRTC clients: STUN/TURN from settings, with TURN REST API credentials.

With ``ROOM_TURN_SECRET`` set (coturn's ``static-auth-secret``), every TURN entry that has no
credentials of its own gets short-lived ones for the user, as the TURN REST API draft defines:
username ``<expiry unix time>:<user id>``, credential ``base64(HMAC-SHA1(secret, username))``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import logging
import time
from typing import Any

from django.conf import settings

logger = logging.getLogger("twitterclone.rooms")


def turn_credentials(*, secret: str, user_id: int, ttl_seconds: int, now: float | None = None) -> dict[str, str]:
    """The TURN REST API username and credential for one user, valid ``ttl_seconds``."""
    expiry = int(now if now is not None else time.time()) + int(ttl_seconds)
    username = f"{expiry}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return {"username": username, "credential": base64.b64encode(digest).decode("ascii")}


def ice_servers_for(*, user) -> list[dict[str, Any]]:
    """``ROOM_ICE_SERVERS`` as RTCIceServer dictionaries (``urls`` always a list), with TURN
    credentials for ``user`` where a secret is configured. Malformed entries are skipped."""
    servers = []
    secret = getattr(settings, "ROOM_TURN_SECRET", "")
    credentials = None
    for entry in getattr(settings, "ROOM_ICE_SERVERS", []) or []:
        urls = entry.get("urls") if isinstance(entry, dict) else None
        if isinstance(urls, str):
            urls = [urls]
        if not urls or not all(isinstance(url, str) for url in urls):
            logger.warning("ROOM_ICE_SERVERS: skipping an entry without urls: %r", entry)
            continue
        server = copy.deepcopy(entry)
        server["urls"] = list(urls)
        is_turn = any(url.startswith(("turn:", "turns:")) for url in urls)
        if is_turn and secret and "username" not in server:
            if credentials is None:
                credentials = turn_credentials(
                    secret=secret, user_id=user.pk, ttl_seconds=getattr(settings, "ROOM_TURN_TTL_SECONDS", 86400)
                )
            server.update(credentials)
        servers.append(server)
    return servers
