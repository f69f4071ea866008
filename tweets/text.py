"""Parsing tweet text: validation, #hashtags and @mentions."""

from __future__ import annotations

import re

MAX_TWEET_LENGTH = 280
MAX_HASHTAG_LENGTH = 100

# A hashtag starts after a non-word character (or the start), and holds at least one letter,
# so "#1" or "a#b" are not hashtags while "#python3" and "#été" are.
HASHTAG_RE = re.compile(r"(?<![\w&#])#(\w*[^\W\d]\w*)", re.UNICODE)
# A mention is @ plus a username, not preceded by a word character (so emails are not mentions).
MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,30})(?![A-Za-z0-9_@])")


def clean_text(text: str) -> str:
    """Trims surrounding whitespace. Callers check the length with ``text_errors``."""
    return (text or "").strip()


def text_errors(text: str) -> list[str]:
    """Problems with tweet text (already trimmed): 1 to 280 Unicode code points, no NUL (which
    PostgreSQL cannot store: the Mastodon API hands its raw ``status`` here, with no serializer's
    check in between)."""
    if not text:
        return ["A tweet needs some text."]
    if "\x00" in text:
        return ["Null characters are not allowed."]
    if len(text) > MAX_TWEET_LENGTH:
        return [f"A tweet is at most {MAX_TWEET_LENGTH} characters (this one has {len(text)})."]
    return []


def parse_hashtags(text: str) -> list[str]:
    """Distinct lower-case hashtag names in order of first appearance, without '#'."""
    seen: dict[str, None] = {}
    for match in HASHTAG_RE.finditer(text):
        name = match.group(1).lower()
        if len(name) <= MAX_HASHTAG_LENGTH:
            seen.setdefault(name, None)
    return list(seen)


def parse_mentions(text: str) -> list[str]:
    """Distinct lower-case usernames mentioned with '@', in order of first appearance."""
    seen: dict[str, None] = {}
    for match in MENTION_RE.finditer(text):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)
