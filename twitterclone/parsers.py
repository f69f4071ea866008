"""A multipart parser that refuses malformed bodies instead of reading them as empty.

Django's multipart parser skips whatever does not look like a part: a body of garbage, or one
whose parts never end, parses as no fields at all, so ``PATCH /users/me`` answered 200 to it as
if the client had sent an empty form. A body must open with the boundary (no preamble; no client
sends one) and close with the closing delimiter, else it is a 400 ``parse_error``. Bodies are at
most ``MAX_REQUEST_BODY_BYTES`` (the middleware refuses larger ones before they are read), so
reading one into memory to check it is bounded.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils.http import parse_header_parameters
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser

MALFORMED = "Malformed multipart body: it must open with the boundary and end with the closing delimiter."


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
        return super().parse(io.BytesIO(body), media_type, parser_context)
