"""Cursor pagination shared by every list endpoint, and the one cursor codec.

Keyset pagination on a unique, monotonically increasing integer column (the primary key by
default, or the id of the row that put an item in the list, or a room's rank), newest first,
so a page never skips or repeats an item when new items arrive between requests.

Every paginator reads and writes its cursor through ``CursorCodec``: 12 characters of
URL-safe base64 holding 9 bytes, the reverse flag (1 bit), the offset (8 bits) and the
position (63 bits, a PostgreSQL bigint). Every string of that shape decodes to a valid cursor
and nothing else decodes at all, so the schema can state the format exactly (``pattern``) and
a crafted cursor is a 400 in the error envelope, never a database error.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any
from urllib import parse

from rest_framework.pagination import Cursor, CursorPagination

from .errors import InvalidInput
from .params import IntegerParameter

CURSOR_LENGTH = 12
CURSOR_PATTERN = rf"^[A-Za-z0-9_-]{{{CURSOR_LENGTH}}}$"
_CURSOR = re.compile(CURSOR_PATTERN)
_POSITION_BITS = 63
_OFFSET_BITS = 8
MAX_POSITION = 2**_POSITION_BITS - 1
MAX_OFFSET = 2**_OFFSET_BITS - 1
INVALID_CURSOR = "Invalid cursor: pass the `next` or `previous` link's cursor unchanged."
PAGE_SIZE = IntegerParameter("page_size", 1, 100, 20, "Items per page (1 to 100, default 20).")


class CursorCodec:
    """Encodes and decodes the pagination cursor (see the module docstring)."""

    @staticmethod
    def encode(cursor: Cursor) -> str:
        position = int(cursor.position)
        if not 0 <= position <= MAX_POSITION or not 0 <= cursor.offset <= MAX_OFFSET:
            raise ValueError(f"cursor out of range: {cursor!r}")
        packed = (int(bool(cursor.reverse)) << (_OFFSET_BITS + _POSITION_BITS)) | (cursor.offset << _POSITION_BITS)
        packed |= position
        return base64.urlsafe_b64encode(packed.to_bytes(9, "big")).decode("ascii")

    @staticmethod
    def decode(encoded: str) -> Cursor:
        """The cursor in ``encoded``; InvalidInput (400, ``fields: {cursor: [...]}``) when it is
        not 12 URL-safe base64 characters."""
        if not isinstance(encoded, str) or not _CURSOR.fullmatch(encoded):
            raise InvalidInput(INVALID_CURSOR, fields={"cursor": [INVALID_CURSOR]})
        packed = int.from_bytes(base64.urlsafe_b64decode(encoded), "big")
        return Cursor(
            offset=(packed >> _POSITION_BITS) & MAX_OFFSET,
            reverse=bool(packed >> (_OFFSET_BITS + _POSITION_BITS)),
            position=packed & MAX_POSITION,
        )

    @staticmethod
    def schema() -> dict[str, Any]:
        return {"type": "string", "pattern": CURSOR_PATTERN, "minLength": CURSOR_LENGTH, "maxLength": CURSOR_LENGTH}


class QueryLink:
    """DRF's ``replace_query_param(url, key, value)`` (the URL with ``key`` set to ``value``, its
    query's parameters sorted by name and encoded again) for many values of one URL and key: the
    URL is split and its query parsed once, not once per link. A page's links differ only in the
    cursor, and splitting and parsing was most of the cost of each."""

    def __init__(self, url: str, key: str) -> None:
        self.url, self.key = url, key
        scheme, netloc, path, query, fragment = parse.urlsplit(url)
        params = parse.parse_qs(query, keep_blank_values=True)
        params.pop(key, None)
        # DRF sorts every parameter, ``key`` among them, by name: encode those before it and
        # those after it once.
        before = parse.urlencode(sorted(item for item in params.items() if item[0] < key), doseq=True)
        after = parse.urlencode(sorted(item for item in params.items() if item[0] > key), doseq=True)
        self._head = parse.urlunsplit((scheme, netloc, path, "", "")) + "?" + (before + "&" if before else "")
        self._key = parse.quote_plus(key) + "="
        self._tail = ("&" + after if after else "") + ("#" + fragment if fragment else "")

    def with_value(self, value: str) -> str:
        return self._head + self._key + parse.quote_plus(value) + self._tail


class IdCursorPagination(CursorPagination):
    """Keyset pages on ``ordering``, which must name a unique integer column (or annotation)."""

    ordering = "-id"
    page_size = PAGE_SIZE.default
    page_size_query_param = PAGE_SIZE.name
    max_page_size = PAGE_SIZE.maximum
    offset_cutoff = MAX_OFFSET
    cursor_query_description = (
        "The pagination cursor: take it from `next` or `previous` unchanged (12 URL-safe base64 characters)."
    )

    def decode_cursor(self, request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        return None if encoded is None else CursorCodec.decode(encoded)

    def encode_cursor(self, cursor: Cursor) -> str:
        if cursor.position is None:
            # DRF leaves the position out only when a whole page shares one position, which a
            # unique ordering never does; should it happen, these bounds mean "from the start"
            # of a descending ordering (every ordering here is one), as the missing position does.
            cursor = cursor._replace(position=0 if cursor.reverse else MAX_POSITION)
        links = getattr(self, "_links", None)
        if links is None or links.url != self.base_url:
            links = self._links = QueryLink(self.base_url, self.cursor_query_param)
        return links.with_value(CursorCodec.encode(cursor))

    def get_page_size(self, request) -> int:
        return PAGE_SIZE.parse(request)

    def paginate_keyset(self, fetch: Callable[..., list], request) -> list:
        """``paginate_queryset`` for a page that ``fetch(position=, reverse=, offset=, limit=)``
        reads itself (a constant SQL statement instead of a queryset): the items after
        ``position`` (None: from the start) in the ordering, or before it when ``reverse``
        (then nearest first), ``offset`` of them skipped, at most ``limit``. The rest is DRF's
        own bookkeeping, so the page and its links are the ones the queryset would give."""
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = (self.ordering,) if isinstance(self.ordering, str) else tuple(self.ordering)
        self.cursor = self.decode_cursor(request)
        offset, reverse, current_position = (0, False, None) if self.cursor is None else self.cursor
        results = fetch(position=current_position, reverse=reverse, offset=offset, limit=self.page_size + 1)
        self.page = list(results[: self.page_size])
        has_following_position = len(results) > len(self.page)
        following_position = (
            self._get_position_from_instance(results[-1], self.ordering) if has_following_position else None
        )
        if reverse:
            self.page.reverse()
            self.has_next = current_position is not None or offset > 0
            self.has_previous = has_following_position
            self.next_position, self.previous_position = current_position, following_position
        else:
            self.has_next = has_following_position
            self.has_previous = current_position is not None or offset > 0
            self.next_position, self.previous_position = following_position, current_position
        return self.page

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": self.cursor_query_description,
                "schema": CursorCodec.schema(),
            },
            {
                "name": PAGE_SIZE.name,
                "required": False,
                "in": "query",
                "description": PAGE_SIZE.description,
                "schema": PAGE_SIZE.schema(),
            },
        ]
