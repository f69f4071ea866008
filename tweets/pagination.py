"""Cursor paginations of tweet and user lists.

``KeysetPagination`` is the shared ``IdCursorPagination`` (keyset on a unique, increasing
column, newest first) that also refuses a cursor whose position is not a whole number (a
400, not a database error). The subclasses page on the id of the row that put an item in the
list (the like, the bookmark, the follow...), so "most recently liked first" is stable too.
``HomeTimelinePagination`` pages the home timeline, whose items come from ``tweets.feeds``.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.pagination import Cursor
from rest_framework.response import Response

from twitterclone.pagination import IdCursorPagination

INVALID_CURSOR = {"cursor": ["Invalid cursor."]}


class KeysetPagination(IdCursorPagination):
    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                int(cursor.position)
            except ValueError as exc:
                raise exceptions.ValidationError(INVALID_CURSOR) from exc
        return cursor


class LikePagination(KeysetPagination):
    ordering = "-like_id"


class BookmarkPagination(KeysetPagination):
    ordering = "-bookmark_id"


class FollowPagination(KeysetPagination):
    ordering = "-follow_id"


class RetweetPagination(KeysetPagination):
    ordering = "-retweet_id"


class HomeTimelinePagination(KeysetPagination):
    """Pages of the home timeline. The cursor carries a tweet id: the next page holds the
    items below it, the previous page the items just above it (``r=1``)."""

    def bounds(self, request) -> tuple[int, int | None, int | None]:
        """(page size, before, after) from the request."""
        self.base_url = request.build_absolute_uri()
        size = self.get_page_size(request)
        cursor = self.decode_cursor(request)
        if cursor is None or cursor.position is None:
            return size, None, None
        position = int(cursor.position)
        return (size, None, position) if cursor.reverse else (size, position, None)

    def set_links(self, *, older_than: int | None, newer_than: int | None) -> None:
        self.next_link = (
            self.encode_cursor(Cursor(offset=0, reverse=False, position=str(older_than)))
            if older_than is not None
            else None
        )
        self.previous_link = (
            self.encode_cursor(Cursor(offset=0, reverse=True, position=str(newer_than)))
            if newer_than is not None
            else None
        )

    def get_paginated_response(self, data) -> Response:
        return Response({"next": self.next_link, "previous": self.previous_link, "results": data})
