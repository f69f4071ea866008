"""Media backend settings: whether rooms run on Janus, the client, per-room secrets and pins."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

from .janus import JanusClient, JanusConfig

BACKEND_JANUS = "janus"
BACKEND_P2P = "p2p"


def janus_enabled() -> bool:
    """True when ``JANUS_URL`` is set: rooms run on Janus; otherwise peer to peer."""
    return bool(getattr(settings, "JANUS_URL", ""))


def backend_name() -> str:
    return BACKEND_JANUS if janus_enabled() else BACKEND_P2P


def janus_client() -> JanusClient:
    """A client for the configured Janus (close it, or use it as a context manager)."""
    return JanusClient(
        JanusConfig(
            url=settings.JANUS_URL,
            api_secret=settings.JANUS_API_SECRET,
            admin_url=getattr(settings, "JANUS_ADMIN_URL", ""),
            admin_secret=getattr(settings, "JANUS_ADMIN_SECRET", ""),
            admin_key=getattr(settings, "JANUS_ADMIN_KEY", ""),
            timeout=float(getattr(settings, "JANUS_TIMEOUT_SECONDS", 5.0)),
        )
    )


def public_url() -> str:
    """The Janus API URL clients use (``JANUS_PUBLIC_URL``, else ``JANUS_URL``)."""
    return getattr(settings, "JANUS_PUBLIC_URL", "") or settings.JANUS_URL


def token_ttl_seconds() -> int:
    return int(getattr(settings, "ROOM_MEDIA_TOKEN_TTL_SECONDS", 3600))


def _derived(purpose: str, room_id: int) -> str:
    key = (getattr(settings, "JANUS_ADMIN_KEY", "") or settings.SECRET_KEY).encode()
    return hmac.new(key, f"{purpose}:{int(room_id)}".encode(), hashlib.sha256).hexdigest()


def room_secret(room_id: int) -> str:
    """The AudioBridge room's ``secret`` (kick, allowed, destroy...): known to our backend only."""
    return _derived("audiobridge", room_id)


def mountpoint_secret(room_id: int) -> str:
    """The Streaming mountpoint's ``secret`` (info with ports, destroy)."""
    return _derived("streaming", room_id)


def new_pin() -> str:
    """A fresh Streaming mountpoint pin (``Room.media_pin``; ``rooms.media.pins``)."""
    return secrets.token_hex(16)
