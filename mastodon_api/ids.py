"""Ids as the Mastodon API reads them from requests (paths, queries, bodies)."""

from __future__ import annotations

import re

ID_PATTERN = re.compile(r"[0-9]{1,18}")  # ASCII only: str.isdigit() also takes "²", which int() refuses
ID_LIMIT = 10**18


def parse_id(value: object) -> int | None:
    """An id from a request: 1 to 18 ASCII digits, or a JSON integer from 0 to 10**18 - 1 (ids
    are far below); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < ID_LIMIT else None
    if isinstance(value, str) and ID_PATTERN.fullmatch(value):
        return int(value)
    return None
