"""Client frames on our sockets: the one place they are decoded, limited and validated.

``decode_frame`` turns a raw WebSocket frame into a JSON object with a string ``type`` (or raises
``FrameError``); ``validate_frame`` checks it against the consumer's table of frame types, each a
mapping of field name to a ``Field`` whose ``check`` returns the clean value or raises
``FrameError``. Consumers receive only clean frames, so no handler ever sees, say, a user id that
``str.isdigit()`` accepts and ``int()`` rejects. ``TokenBucket`` limits how many frames a socket
may send.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .jsoncodec import loads

MAX_ID = 2**63 - 1


class FrameError(Exception):
    """A frame that is malformed or not allowed: answered with an ``error`` frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Field:
    check: Callable[[str, Any], Any]
    required: bool = True


FrameTypes = Mapping[str, Mapping[str, Field]]


def decode_frame(text_data: str | None, bytes_data: bytes | None, max_bytes: int) -> dict[str, Any] | None:
    """The frame as a JSON object with a string ``type``; None for an empty frame."""
    raw = text_data if text_data is not None else bytes_data
    if raw is None:
        return None
    if len(raw) > max_bytes:
        raise FrameError("frame_too_large", f"Frames are limited to {max_bytes} bytes.")
    try:
        content = loads(raw)  # strict: no lone surrogates, which no group name or msgpack can hold
    except ValueError:
        raise FrameError("malformed", "Frames must be JSON objects.") from None
    if not isinstance(content, dict) or not isinstance(content.get("type"), str):
        raise FrameError("malformed", "Frames must be JSON objects with a string 'type'.")
    return content


def validate_frame(content: dict[str, Any], frame_types: FrameTypes) -> tuple[str, dict[str, Any]]:
    """``(type, clean fields)`` for a frame of a known type; other keys are ignored."""
    message_type = content["type"]
    fields = frame_types.get(message_type)
    if fields is None:
        raise FrameError("unknown_type", f"Unknown message type {message_type[:50]!r}.")
    clean: dict[str, Any] = {}
    for name, field in fields.items():
        if name not in content:
            if field.required:
                raise FrameError("invalid", f"A {message_type} needs '{name}'.")
            clean[name] = None
            continue
        clean[name] = field.check(name, content[name])
    return message_type, clean


# --- field checks -------------------------------------------------------------------------------


def user_id(name: str, value: Any) -> int:
    """A user id: a positive integer, or a string of ASCII digits (ids are opaque to clients,
    which may hold them as strings)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    raise FrameError("invalid", f"'{name}' must be the user id of a participant.")


def sdp(name: str, value: Any) -> str:
    if isinstance(value, str) and value.strip():
        return value
    raise FrameError("invalid", f"'{name}' must be a non-empty SDP string.")


def object_or_null(name: str, value: Any) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise FrameError("invalid", f"'{name}' must be an object or null.")


# --- rate limit ----------------------------------------------------------------------------------


class TokenBucket:
    """``burst`` frames at once, then ``rate_per_second`` on average."""

    def __init__(self, burst: int, rate_per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(max(burst, 1))
        self.rate = max(rate_per_second, 0.0)
        self.clock = clock
        self.tokens = self.capacity
        self.updated = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
