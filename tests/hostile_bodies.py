"""Raw request bodies no client should send, shared by the body walks of both APIs
(tests/test_hostile_body_walk.py, mastodon_api/tests/test_hostile_body_walk.py): each must be
answered with a JSON 4xx, never a 500, whatever the operation."""

from __future__ import annotations

HOSTILE_JSON_BODIES: dict[str, bytes] = {
    "lone surrogate value": b'{"text": "\\ud800", "status": "\\udfff", "username": "\\ud83d"}',
    "lone surrogate key": b'{"\\udc00": "x"}',
    "deep array": b"[" * 50_000 + b"]" * 50_000,
    "deep object": b'{"x":' * 5_000 + b"1" + b"}" * 5_000,
    "NaN": b'{"text": NaN}',
    "byte-order mark": b'\xef\xbb\xbf{"text": "x"}',
    "not UTF-8": b'{"text": "\xff\xfe"}',
    "truncated": b'{"text": "x',
    "huge number": b'{"text": 1' + b"0" * 5000 + b"}",
    "scalar": b"42",
    "empty": b"",
}
