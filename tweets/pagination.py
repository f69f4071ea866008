"""Cursor paginations of tweet and user lists.

``KeysetPagination`` is the shared ``IdCursorPagination`` (keyset on a unique, increasing
column, newest first, cursors read by the one ``CursorCodec``). The subclasses page on the id
of the row that put an item in the list (the like, the bookmark, the follow...), so "most
recently liked first" is stable too.
``HomeTimelinePagination`` pages the home timeline, whose items come from ``tweets.feeds``.
"""

from __future__ import annotations

from rest_framework.pagination import Cursor
from rest_framework.response import Response

from twitterclone.pagination import MAX_POSITION, IdCursorPagination


class KeysetPagination(IdCursorPagination):
    """Tweet lists keyed on the tweet id."""


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
    items below it, the previous page (a reverse cursor) the items just above it."""

    def bounds(self, request) -> tuple[int, int | None, int | None]:
        """(page size, before, after) from the request."""
        self.base_url = request.build_absolute_uri()
        size = self.get_page_size(request)
        cursor = self.decode_cursor(request)
        if cursor is None:
            return size, None, None
        position = cursor.position
        return (size, None, position) if cursor.reverse else (size, position, None)

    def set_links(self, *, older_than: int | None, newer_than: int | None) -> None:
        """Links around the page; a bound past the cursor's range (a reverse page from the
        largest position) has nothing beyond it, so no link."""
        self.next_link = self._link(older_than, reverse=False)
        self.previous_link = self._link(newer_than, reverse=True)

    def _link(self, position: int | None, *, reverse: bool) -> str | None:
        if position is None or not 0 <= position <= MAX_POSITION:
            return None
        return self.encode_cursor(Cursor(offset=0, reverse=reverse, position=position))

    def get_paginated_response(self, data) -> Response:
        return Response({"next": self.next_link, "previous": self.previous_link, "results": data})
