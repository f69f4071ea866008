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

# Form and multipart bodies no client should send, as (Content-Type, body): Mastodon clients post
# forms and multipart, and Django (not DRF) parses them for /oauth/ and the admin.
_PART = b'--b\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
_MANY_FILES = b"".join(
    b'--b\r\nContent-Disposition: form-data; name="file%d"; filename="f%d.txt"\r\n\r\nx\r\n' % (i, i)
    for i in range(150)
)
HOSTILE_FORM_BODIES: dict[str, tuple[str, bytes]] = {
    "form not UTF-8 (charset)": ("application/x-www-form-urlencoded; charset=utf-16", b"status=\xff\xfe&x=1"),
    "form unknown charset": ("application/x-www-form-urlencoded; charset=no-such-charset", b"status=x"),
    "form invalid UTF-8 bytes": ("application/x-www-form-urlencoded", b"status=\xff\xfe&grant_type=\xc3"),
    "form invalid percent-encoded UTF-8": ("application/x-www-form-urlencoded", b"status=%ff%fe&client_id=%c3"),
    "form too many fields": ("application/x-www-form-urlencoded", "&".join(f"f{i}=x" for i in range(1_200)).encode()),
    "multipart garbage": ("multipart/form-data; boundary=b", b"garbage"),
    "multipart without boundary": ("multipart/form-data", _PART % (b"x", b"1") + b"--b--\r\n"),
    "multipart unterminated": ("multipart/form-data; boundary=b", (_PART % (b"status", b"x"))[:-2]),
    "multipart not UTF-8 (charset)": (
        "multipart/form-data; boundary=b; charset=utf-16",
        _PART % (b"status", b"\xff\xfe") + b"--b--\r\n",
    ),
    "multipart invalid UTF-8 value": (
        "multipart/form-data; boundary=b",
        _PART % (b"status", b"\xff\xfe") + b"--b--\r\n",
    ),
    "multipart too many files": ("multipart/form-data; boundary=b", _MANY_FILES + b"--b--\r\n"),
    "multipart too many fields": (
        "multipart/form-data; boundary=b",
        b"".join(_PART % (b"f%d" % i, b"x") for i in range(1_200)) + b"--b--\r\n",
    ),
}
