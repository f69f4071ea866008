"""A thin, synchronous client for the Janus WebRTC server's HTTP API (and its Admin API).

Our backend only ever makes short requests (create a room, add a token, kick someone), so each
operation opens a Janus session, attaches one plugin handle, sends its requests and destroys the
session again: no keep-alives, no long polls, nothing left behind if the process dies. Every
request carries the API secret; plugin requests that need it carry the plugin's ``admin_key``
and the room's ``secret``.

Errors: ``JanusUnavailable`` when Janus cannot be reached or answers garbage (connection refused,
timeout, a 5xx), ``JanusError`` (with Janus's numeric ``code``) when Janus refuses a request.
Idempotent operations treat "already exists" / "no such room" as success.

Janus 1.1.2 references: src/plugins/janus_audiobridge.c and janus_streaming.c (the request
formats are in their header comments), src/janus.c (the core and Admin API).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

AUDIOBRIDGE = "janus.plugin.audiobridge"
STREAMING = "janus.plugin.streaming"

# Plugin error codes we act on (janus_audiobridge.c / janus_streaming.c, 1.1.2).
AUDIOBRIDGE_NO_SUCH_ROOM = 485
AUDIOBRIDGE_ROOM_EXISTS = 486
AUDIOBRIDGE_NO_SUCH_USER = 492
STREAMING_NO_SUCH_MOUNTPOINT = 455
STREAMING_CANT_CREATE = 456  # also "A stream with the provided ID already exists"
# Core error codes (janus/apierror.h).
CORE_SESSION_NOT_FOUND = 458
CORE_HANDLE_NOT_FOUND = 459


class JanusError(Exception):
    """Janus refused a request: ``code`` is Janus's (core or plugin) error code."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class JanusUnavailable(JanusError):
    """Janus could not be reached, timed out, or did not answer with Janus JSON."""


@dataclass(frozen=True)
class JanusConfig:
    url: str  # the Janus API over HTTP, e.g. http://janus:8088/janus
    api_secret: str
    admin_url: str = ""  # the Admin API, e.g. http://janus:7088/admin
    admin_secret: str = ""
    admin_key: str = ""  # the AudioBridge and Streaming plugins' admin_key
    timeout: float = 5.0


class JanusClient:
    """Synchronous Janus client; one ``httpx.Client`` (connection pool) per instance."""

    def __init__(self, config: JanusConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._http = httpx.Client(timeout=config.timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> JanusClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport --------------------------------------------------------------------------

    def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "transaction": secrets.token_hex(8)}
        try:
            response = self._http.post(url, json=body)
        except httpx.HTTPError as exc:
            raise JanusUnavailable(f"Janus at {url} is unreachable: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code >= 500:
            raise JanusUnavailable(f"Janus at {url} answered HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise JanusUnavailable(f"Janus at {url} answered HTTP {response.status_code} without JSON") from exc
        if not isinstance(payload, dict) or "janus" not in payload:
            raise JanusUnavailable(f"Janus at {url} answered something that is not Janus JSON")
        if payload["janus"] == "error":
            error = payload.get("error") or {}
            raise JanusError(f"Janus: {error.get('reason', 'error')}", code=error.get("code"))
        return payload

    def _api(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._post(f"{self.config.url.rstrip('/')}{path}", {**body, "apisecret": self.config.api_secret})

    def _admin(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if not self.config.admin_url:
            raise JanusError("the Janus Admin API is not configured (JANUS_ADMIN_URL)")
        return self._post(
            f"{self.config.admin_url.rstrip('/')}{path}", {**body, "admin_secret": self.config.admin_secret}
        )

    def info(self) -> dict[str, Any]:
        """The server's ``info`` (no session needed): a cheap reachability check."""
        try:
            response = self._http.get(f"{self.config.url.rstrip('/')}/info")
            payload = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise JanusUnavailable(f"Janus at {self.config.url} is unreachable: {exc}") from exc
        if not isinstance(payload, dict) or payload.get("janus") != "server_info":
            raise JanusUnavailable(f"Janus at {self.config.url} did not answer its info request")
        return payload

    @contextlib.contextmanager
    def handle(self, plugin: str) -> Iterator[PluginHandle]:
        """A fresh session with one handle attached to ``plugin``; the session is destroyed
        afterwards (best effort: Janus's session timeout reaps it if that fails)."""
        session_id = self._api("", {"janus": "create"})["data"]["id"]
        try:
            handle_id = self._api(f"/{session_id}", {"janus": "attach", "plugin": plugin})["data"]["id"]
            yield PluginHandle(self, session_id, handle_id, plugin)
        finally:
            with contextlib.suppress(JanusError):
                self._api(f"/{session_id}", {"janus": "destroy"})

    # -- Admin API: sessions and handles ------------------------------------------------------

    def admin_handles(self) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """Every (session id, handle id, handle_info) on the server. Sessions or handles that go
        away while we look are skipped."""
        for session_id in self._admin("", {"janus": "list_sessions"}).get("sessions", []):
            try:
                handle_ids = self._admin(f"/{session_id}", {"janus": "list_handles"}).get("handles", [])
            except JanusError as exc:
                if exc.code == CORE_SESSION_NOT_FOUND:
                    continue
                raise
            for handle_id in handle_ids:
                try:
                    info = self._admin(f"/{session_id}/{handle_id}", {"janus": "handle_info"}).get("info", {})
                except JanusError as exc:
                    if exc.code in (CORE_SESSION_NOT_FOUND, CORE_HANDLE_NOT_FOUND):
                        continue
                    raise
                yield session_id, handle_id, info

    def admin_handle_info(self, session_id: int, handle_id: int) -> dict[str, Any] | None:
        """The Admin API's ``handle_info`` of one handle, or None when it is gone."""
        try:
            return self._admin(f"/{session_id}/{handle_id}", {"janus": "handle_info"}).get("info", {})
        except JanusError as exc:
            if exc.code in (CORE_SESSION_NOT_FOUND, CORE_HANDLE_NOT_FOUND):
                return None
            raise

    def admin_detach_handle(self, session_id: int, handle_id: int) -> None:
        """Detach a handle (its PeerConnection is closed); already gone counts as success."""
        try:
            self._admin(f"/{session_id}/{handle_id}", {"janus": "detach_handle"})
        except JanusError as exc:
            if exc.code not in (CORE_SESSION_NOT_FOUND, CORE_HANDLE_NOT_FOUND):
                raise


class PluginHandle:
    """One attached plugin handle; ``request(body)`` sends a synchronous plugin request."""

    def __init__(self, client: JanusClient, session_id: int, handle_id: int, plugin: str) -> None:
        self.client = client
        self.session_id = session_id
        self.handle_id = handle_id
        self.plugin = plugin

    def request(self, body: dict[str, Any]) -> dict[str, Any]:
        """The plugin's answer (``plugindata.data``); a plugin error raises ``JanusError``."""
        payload = self.client._api(f"/{self.session_id}/{self.handle_id}", {"janus": "message", "body": body})
        data = (payload.get("plugindata") or {}).get("data")
        if not isinstance(data, dict):
            raise JanusUnavailable(f"{self.plugin} answered without plugin data: {payload.get('janus')}")
        if "error_code" in data:
            raise JanusError(f"{self.plugin}: {data.get('error', 'error')}", code=data["error_code"])
        return data

    # -- AudioBridge ---------------------------------------------------------------------------

    def audiobridge_create(self, *, room: int, secret: str, description: str = "", sampling_rate: int = 48000) -> bool:
        """Create a private room that only holders of an ``allowed`` token may join; True if it
        was created, False if it existed already."""
        try:
            self.request(
                {
                    "request": "create",
                    "room": room,
                    "admin_key": self.client.config.admin_key,
                    "secret": secret,
                    "description": description[:100],
                    "is_private": True,
                    "allowed": [],
                    "sampling_rate": sampling_rate,
                    "audiolevel_ext": True,
                    "audiolevel_event": False,
                    "permanent": False,
                }
            )
        except JanusError as exc:
            if exc.code == AUDIOBRIDGE_ROOM_EXISTS:
                return False
            raise
        return True

    def audiobridge_exists(self, *, room: int) -> bool:
        return bool(self.request({"request": "exists", "room": room}).get("exists"))

    def audiobridge_destroy(self, *, room: int, secret: str) -> None:
        """Destroy a room (its participants are told and dropped); no such room is success."""
        try:
            self.request({"request": "destroy", "room": room, "secret": secret, "permanent": False})
        except JanusError as exc:
            if exc.code != AUDIOBRIDGE_NO_SUCH_ROOM:
                raise

    def audiobridge_allowed(self, *, room: int, secret: str, action: str, tokens: list[str] = ()) -> list[str]:
        """``action`` is enable, disable, add or remove; returns the room's complete token list."""
        body = {"request": "allowed", "room": room, "secret": secret, "action": action}
        if action in ("add", "remove"):
            body["allowed"] = list(tokens)
        return list(self.request(body).get("allowed") or [])

    def audiobridge_participants(self, *, room: int) -> list[dict[str, Any]]:
        return list(self.request({"request": "listparticipants", "room": room}).get("participants") or [])

    def audiobridge_kick(self, *, room: int, secret: str, participant_id: int) -> None:
        """Drop a participant; no such participant is success."""
        try:
            self.request({"request": "kick", "room": room, "secret": secret, "id": participant_id})
        except JanusError as exc:
            if exc.code != AUDIOBRIDGE_NO_SUCH_USER:
                raise

    def audiobridge_set_muted(self, *, room: int, secret: str, participant_id: int, muted: bool) -> None:
        """Mute or unmute a participant in the mix (the participant can undo this with its own
        ``configure``, so this is not how we enforce a host mute: see rooms/media/service.py)."""
        self.request({"request": "mute" if muted else "unmute", "room": room, "secret": secret, "id": participant_id})

    def audiobridge_rtp_forward(self, *, room: int, secret: str, host: str, port: int, ptype: int = 111) -> int:
        """Forward the room's mix (Opus) over RTP to ``host:port``; returns the forwarder's id."""
        data = self.request(
            {
                "request": "rtp_forward",
                "room": room,
                "secret": secret,
                "admin_key": self.client.config.admin_key,
                "host": host,
                "port": port,
                "codec": "opus",
                "ptype": ptype,
                "always_on": True,  # listeners get (silent) audio even while the stage is empty
            }
        )
        return int(data["stream_id"])

    def audiobridge_forwarders(self, *, room: int, secret: str) -> list[dict[str, Any]]:
        data = self.request({"request": "listforwarders", "room": room, "secret": secret})
        return list(data.get("rtp_forwarders") or [])

    # -- Streaming -------------------------------------------------------------------------------

    def streaming_create_audio(
        self, *, mountpoint: int, secret: str, pin: str = "", description: str = "", pt: int = 111
    ) -> int:
        """Create a receive-only RTP mountpoint with one Opus audio stream listening on
        127.0.0.1 (a free port of the plugin's range); returns that port. With ``pin``, a viewer
        must send it with ``watch``. If the mountpoint exists already, returns its port (from
        ``info``), after giving it ``pin`` if it had another."""
        try:
            data = self.request(
                {
                    "request": "create",
                    "type": "rtp",
                    "id": mountpoint,
                    "admin_key": self.client.config.admin_key,
                    "secret": secret,
                    **({"pin": pin} if pin else {}),
                    "description": description[:100],
                    "is_private": True,
                    "permanent": False,
                    "media": [
                        {
                            "type": "audio",
                            "mid": "a",
                            "port": 0,
                            "pt": pt,
                            "codec": "opus",
                            "iface": "127.0.0.1",
                        }
                    ],
                }
            )
        except JanusError as exc:
            if exc.code == STREAMING_CANT_CREATE and self.streaming_exists(mountpoint=mountpoint):
                if pin and (self.streaming_info(mountpoint=mountpoint, secret=secret) or {}).get("pin") != pin:
                    self.streaming_set_pin(mountpoint=mountpoint, secret=secret, pin=pin)
                return self.streaming_port(mountpoint=mountpoint, secret=secret)
            raise
        ports = (data.get("stream") or {}).get("ports") or []
        return int(ports[0]["port"])

    def streaming_info(self, *, mountpoint: int, secret: str) -> dict[str, Any] | None:
        """The mountpoint's ``info`` as its owner sees it (with ``secret``: its ``pin`` and
        ports), or None if there is no such mountpoint."""
        try:
            return self.request({"request": "info", "id": mountpoint, "secret": secret}).get("info") or {}
        except JanusError as exc:
            if exc.code == STREAMING_NO_SUCH_MOUNTPOINT:
                return None
            raise

    def streaming_set_pin(self, *, mountpoint: int, secret: str, pin: str) -> None:
        """Replace the mountpoint's pin (``edit`` with ``new_pin``). Janus checks the pin on
        ``watch`` only: viewers already watching keep receiving."""
        self.request({"request": "edit", "id": mountpoint, "secret": secret, "new_pin": pin, "permanent": False})

    def streaming_exists(self, *, mountpoint: int) -> bool:
        try:
            self.request({"request": "info", "id": mountpoint})
        except JanusError as exc:
            if exc.code == STREAMING_NO_SUCH_MOUNTPOINT:
                return False
            raise
        return True

    def streaming_port(self, *, mountpoint: int, secret: str) -> int:
        info = self.request({"request": "info", "id": mountpoint, "secret": secret}).get("info") or {}
        for stream in info.get("media") or []:
            if stream.get("type") == "audio" and stream.get("port"):
                return int(stream["port"])
        raise JanusError(f"mountpoint {mountpoint} has no audio port")

    def streaming_destroy(self, *, mountpoint: int, secret: str) -> None:
        """Destroy a mountpoint (its viewers are dropped); no such mountpoint is success."""
        try:
            self.request({"request": "destroy", "id": mountpoint, "secret": secret, "permanent": False})
        except JanusError as exc:
            if exc.code != STREAMING_NO_SUCH_MOUNTPOINT:
                raise
