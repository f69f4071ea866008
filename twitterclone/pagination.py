"""Cursor pagination shared by every list endpoint.

Keyset pagination on a unique, monotonically increasing column (the primary key
by default), newest first, so a page never skips or repeats an item when new
items arrive between requests.
"""

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    cursor_query_description = "The pagination cursor value (opaque; take it from `next` or `previous`)."

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError({"cursor": ["Invalid cursor."]}) from exc
        ordering = self.ordering if isinstance(self.ordering, str) else self.ordering[0]
        position = cursor.position if cursor else None
        if position is not None and ordering.lstrip("-") in ("id", "pk") and not position.isdigit():
            raise exceptions.ValidationError({"cursor": ["Invalid cursor."]})
        return cursor

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            value = int(raw)
        except ValueError as exc:
            raise exceptions.ValidationError({"page_size": ["A whole number from 1 to 100."]}) from exc
        if value < 1:
            raise exceptions.ValidationError({"page_size": ["A whole number from 1 to 100."]})
        return min(value, self.max_page_size)
