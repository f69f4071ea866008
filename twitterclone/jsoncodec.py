"""JSON in and out through orjson: DRF's renderer and parser, plain Django responses, and ``loads``
for every other place that reads a client's JSON (Mastodon's OAuth bodies, WebSocket frames).

orjson serializes about an order of magnitude faster than the standard library and is stricter on
input (no NaN/Infinity, no lone surrogates, UTF-8 only), so what is rejected is rejected as a 400
before it can reach the database. The output matches DRF's ``JSONRenderer``: compact, UTF-8, and
anything orjson does not know natively (datetimes, decimals, lazy strings, UUIDs...) goes through
DRF's own encoder, so it is formatted exactly as before.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpResponse
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_encoder = JSONEncoder()
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def _default(value: Any) -> Any:
    return _encoder.default(value)


def dumps(data: Any, *, indent: bool = False) -> bytes:
    """``data`` as compact UTF-8 JSON bytes, formatted as DRF's renderer formats it."""
    output = orjson.dumps(data, default=_default, option=_OPTIONS | (orjson.OPT_INDENT_2 if indent else 0))
    if b"\xe2\x80" in output:
        # Like DRF: U+2028/U+2029 escaped, so the JSON is also valid JavaScript inside a <script>.
        output = output.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    return output


def loads(data: bytes | str) -> Any:
    """``data`` parsed as JSON, strictly: UTF-8 only (no BOM), no lone surrogates (which no UTF-8
    text, PostgreSQL or msgpack can hold), no NaN or Infinity, nesting at most 1024 deep; anything
    else raises ``orjson.JSONDecodeError``, a ``ValueError``. The standard library's ``json.loads``
    accepts ``"\\ud800"`` and recurses until ``RecursionError``: a 500 wherever it read a client's body."""
    return orjson.loads(data)


def json_response(data: Any, status: int = 200) -> HttpResponse:
    """A plain Django JSON response (for code outside DRF views), serialized with orjson."""
    return HttpResponse(dumps(data), status=status, content_type="application/json")


class OrjsonRenderer(JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        context = renderer_context or {}
        if accepted_media_type and ";" not in accepted_media_type:
            # No parameters, so no ``indent=`` for DRF's get_indent to parse out of it.
            indent = context.get("indent")
        else:
            indent = self.get_indent(accepted_media_type, context)
        return dumps(data, indent=bool(indent))


class OrjsonParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return loads(stream.read())
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
