"""Mastodon's pagination: ``max_id``, ``since_id``, ``min_id`` and ``limit`` (default 20, at most
40), and a ``Link`` header with absolute URLs, ``next`` (older) first, exactly in the form
``<url>; rel="next", <url>; rel="prev"``.

Lists are keyset pages on an increasing integer key (a tweet id, or the id of the like, bookmark,
follow or notification that put an item in the list), newest first, so a page never skips or
repeats an item when new ones arrive. ``min_id`` gives the items just above it (still newest
first), ``since_id`` the newest items above it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import QuerySet
from rest_framework.request import Request
from rest_framework.response import Response

from twitterclone.errors import InvalidInput

from .ids import parse_id

DEFAULT_LIMIT = 20
MAX_LIMIT = 40
MAX_ID = 2**63 - 1


def _id_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if parse_id(raw) is None:
        raise InvalidInput(f"Validation failed: {name} must be an id", fields={name: ["not an id"]})
    return int(raw)


@dataclass
class PageBounds:
    limit: int
    max_id: int | None
    since_id: int | None
    min_id: int | None

    @property
    def ascending(self) -> bool:
        return self.min_id is not None


def page_bounds(request: Request, *, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> PageBounds:
    """The page the request asks for (``limit`` defaults to ``default``, is cut to ``maximum``:
    lists of accounts are 40 and 80 in Mastodon). A bad id or limit is a 422 (Mastodon's
    validation error)."""
    raw_limit = request.query_params.get("limit")
    limit = default
    if raw_limit not in (None, ""):
        if not re.fullmatch(r"[0-9]+", raw_limit):
            raise InvalidInput("Validation failed: limit must be a number", fields={"limit": ["not a number"]})
        limit = max(1, min(int(raw_limit[:6]), maximum))
    return PageBounds(
        limit=limit,
        max_id=_id_param(request, "max_id"),
        since_id=_id_param(request, "since_id"),
        min_id=_id_param(request, "min_id"),
    )


def keyset_page(queryset: QuerySet, bounds: PageBounds, key: str = "pk") -> list:
    """One page of ``queryset`` (any order) by ``key``, newest first."""
    if bounds.max_id is not None:
        queryset = queryset.filter(**{f"{key}__lt": bounds.max_id})
    if bounds.since_id is not None:
        queryset = queryset.filter(**{f"{key}__gt": bounds.since_id})
    if bounds.ascending:
        items = list(queryset.filter(**{f"{key}__gt": bounds.min_id}).order_by(key)[: bounds.limit])
        items.reverse()
        return items
    return list(queryset.order_by(f"-{key}")[: bounds.limit])


def _page_url(request: Request, **params: int) -> str:
    query = {k: v for k, v in request.query_params.lists() if k not in ("max_id", "since_id", "min_id")}
    pairs = [(k, v) for k, values in query.items() for v in values] + [(k, str(v)) for k, v in params.items()]
    return request.build_absolute_uri(request.path) + "?" + urlencode(pairs)


def link_header(request: Request, keys: Sequence[int]) -> str | None:
    """``Link`` for a page whose items have these keys (newest first): ``next`` to the items below
    the last, ``prev`` to the items above the first; none for an empty page."""
    if not keys:
        return None
    older = _page_url(request, max_id=keys[-1])
    newer = _page_url(request, min_id=keys[0])
    return f'<{older}>; rel="next", <{newer}>; rel="prev"'


def paginated(request: Request, data: list, keys: Sequence[int]) -> Response:
    response = Response(data)
    link = link_header(request, keys)
    if link:
        response["Link"] = link
    return response
