"""Form and multipart parsers that refuse malformed bodies instead of reading them as something else.

``StrictFormParser``: a form body must be UTF-8 (the only charset forms have, and the only one
Django's own ``request.POST`` accepts). DRF's FormParser gives the body to ``QueryDict``, which
decodes a body that is not valid UTF-8 as Latin-1, all of it: one stray byte turned every accented
letter of a Mastodon status into mojibake (``é`` stored as ``Ã©``), and a body declared UTF-16 was
read as Latin-1 too. Either is a 400 ``parse_error`` now. (Percent-encoded bytes that are not
UTF-8 still decode with U+FFFD replacements, as Django decodes them.)

``StrictMultiPartParser``: Django's multipart parser skips whatever does not look like a part: a body of garbage, or one
whose parts never end, parses as no fields at all, so ``PATCH /users/me`` answered 200 to it as
if the client had sent an empty form. A body must open with the boundary (no preamble; no client
sends one), give every part its headers (with a Content-Disposition) and close with the closing
delimiter on its own line, else it is a 400 ``parse_error``. Bodies are at
most ``MAX_REQUEST_BODY_BYTES`` (the middleware refuses larger ones before they are read), so
reading one into memory to check it is bounded.
"""

from __future__ import annotations

import io
from typing import Any

from django.http import QueryDict
from django.utils.http import parse_header_parameters
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, FormParser, MultiPartParser

MALFORMED = (
    "Malformed multipart body: it must open with the boundary, have a Content-Disposition header in "
    "every part and end with the closing delimiter."
)


class StrictFormParser(FormParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> QueryDict:
        charset = parse_header_parameters(media_type or "")[1].get("charset")
        if charset is not None and charset.lower() not in ("utf-8", "utf8"):
            raise ParseError("Form bodies must be UTF-8.")
        body = stream.read() if stream is not None else b""
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("The form body is not valid UTF-8.") from None
        return QueryDict(body, encoding="utf-8")


def _boundary(media_type: str | None) -> bytes | None:
    _, parameters = parse_header_parameters(media_type or "")
    boundary = parameters.get("boundary")
    return boundary.encode("latin-1", "replace") if boundary else None


class StrictMultiPartParser(MultiPartParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> DataAndFiles:
        boundary = _boundary(media_type)
        body = stream.read() if stream is not None else b""
        delimiter = b"--" + boundary if boundary else None
        if delimiter is None or not body.startswith(delimiter) or delimiter + b"--" not in body:
            raise ParseError(MALFORMED)
        if not _parts_well_formed(body, delimiter):
            raise ParseError(MALFORMED)
        return super().parse(io.BytesIO(body), media_type, parser_context)


def _parts_well_formed(body: bytes, delimiter: bytes) -> bool:
    """Every part between the delimiters (each on its own line: CRLF before it) has a header block
    with a Content-Disposition, as Django's parser needs to see it at all (``--b\r\n[]--b--``
    parsed as no fields). A body of no parts is the closing delimiter alone."""
    if body.startswith(delimiter + b"--"):
        return True
    closing = b"\r\n" + delimiter + b"--"
    if closing not in body:
        return False
    inner = body[len(delimiter) : body.index(closing)]
    for part in inner.split(b"\r\n" + delimiter):
        if not part.startswith(b"\r\n") or b"\r\n\r\n" not in part:
            return False
        headers = part[2 : part.index(b"\r\n\r\n")].lower()
        if b"content-disposition:" not in headers:
            return False
    return True
