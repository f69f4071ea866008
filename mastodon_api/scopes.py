"""Mastodon's OAuth scopes: ``read``, ``write``, ``follow``, ``push``, ``profile`` and the
``read:*``/``write:*`` sub-scopes. A broad scope covers its sub-scopes, and the legacy ``follow``
covers reading and writing follows, blocks and mutes, as in Mastodon."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

LEGACY_FOLLOW = frozenset({"read:follows", "read:blocks", "read:mutes", "write:follows", "write:blocks", "write:mutes"})


def all_scopes() -> list[str]:
    return list(settings.OAUTH2_PROVIDER["SCOPES"])


def parse_scopes(value: str | Iterable[str] | None) -> list[str]:
    """Scopes from a space-, comma- or plus-separated string (or a list of them), in order, once each."""
    if value is None:
        return []
    parts = [value] if isinstance(value, str) else [str(item) for item in value]
    found: list[str] = []
    for part in parts:
        for scope in part.replace(",", " ").replace("+", " ").split():
            if scope not in found:
                found.append(scope)
    return found


def expand(scopes: Iterable[str]) -> set[str]:
    """Every scope that ``scopes`` grants, sub-scopes included."""
    known = all_scopes()
    granted: set[str] = set()
    for scope in scopes:
        granted.add(scope)
        if scope in ("read", "write"):
            granted.update(name for name in known if name.startswith(f"{scope}:"))
        elif scope == "follow":
            granted.update(LEGACY_FOLLOW)
    return granted


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    known = set(all_scopes())
    return [scope for scope in scopes if scope not in known]


def covers(granted: Iterable[str], required: str) -> bool:
    """Whether a token with ``granted`` scopes may do what needs ``required``."""
    return required in expand(granted)


def all_covered(granted: Iterable[str], requested: Iterable[str]) -> bool:
    have = expand(granted)
    return all(scope in have for scope in requested)
