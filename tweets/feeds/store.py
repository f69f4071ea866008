"""The Redis side of home feeds: the client, keys, member encoding, Lua scripts, feed
building, and the "Redis is down, use PostgreSQL" switch. No PostgreSQL reads except the
rebuild of a missing feed (through ``candidates.pull_candidates``)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings

from twitterclone.redis_wire import Wire, wire_for

logger = logging.getLogger("twitterclone.timelines")

# After a Redis error, do not try Redis again for this long (requests fall back to PostgreSQL
# instead of each waiting for a timeout).
REDIS_RETRY_AFTER_SECONDS = 5.0
SENTINEL = "~"

# KEYS: feeds; ARGV: score, member, cap. Adds to feeds that exist, then trims each to the
# sentinel plus the `cap` newest entries; a trimmed feed no longer holds all of its history.
ADD_IF_EXISTS = """
local added = 0
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('ZADD', key, ARGV[1], ARGV[2])
    if redis.call('ZREMRANGEBYRANK', key, 1, -(tonumber(ARGV[3]) + 1)) > 0 then
      redis.call('DEL', key .. ':all')
    end
    added = added + 1
  end
end
return added
"""

# KEYS[1]: a feed; ARGV[1]: an author id. Removes that author's entries.
REMOVE_AUTHOR = """
local suffix = ':' .. ARGV[1]
local removed = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(member, -string.len(suffix)) == suffix then
    redis.call('ZREM', KEYS[1], member)
    removed = removed + 1
  end
end
return removed
"""


@dataclass
class Candidate:
    """A home-timeline candidate: a tweet id and its author's id."""

    id: int
    author_id: int


# --- Settings, read at call time (tests override them with the settings fixture) -------


def feed_size() -> int:
    """Entries kept per feed. 120 entries + the sentinel stay under Redis's
    zset-max-listpack-entries (128): a feed then takes ~2.6 kB instead of ~15 kB at 128
    entries and ~55 kB at 500 (measured, docs/timelines.md)."""
    return settings.TIMELINE_FEED_SIZE


def pull_threshold() -> int:
    """Followers from which an author is pulled at read time instead of fanned out."""
    return settings.TIMELINE_PULL_THRESHOLD


def feed_ttl_seconds() -> int:
    return settings.TIMELINE_FEED_TTL_SECONDS


# --- Client and failure switch ---------------------------------------------------------

_client = None
_wire = None
_scripts: dict = {}
_redis_down_until = 0.0


def redis_enabled() -> bool:
    """Whether home feeds are kept in Redis: ``TIMELINE_BACKEND`` is ``redis`` (the default
    when ``REDIS_URL`` is set) and Redis did not fail in the last few seconds."""
    backend = getattr(settings, "TIMELINE_BACKEND", "") or ("redis" if settings.REDIS_URL else "pull")
    return backend == "redis" and bool(settings.REDIS_URL) and time.monotonic() >= _redis_down_until


def redis_client():
    """The process's Redis client for feeds (short timeouts: a slow Redis must not hold requests)."""
    global _client
    if _client is None:
        import redis

        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5, decode_responses=True
        )
    return _client


def feed_wire() -> Wire:
    """The same Redis as ``redis_client`` (same timeouts, replies decoded) for the read of every
    home page: one round trip at a fraction of the client's CPU (``twitterclone.redis_wire``)."""
    global _wire
    if _wire is None:
        _wire = wire_for(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5, decode_responses=True)
    return _wire


def script(name: str, source: str):
    """A registered Lua script (EVALSHA, loaded on first use)."""
    if name not in _scripts:
        _scripts[name] = redis_client().register_script(source)
    return _scripts[name]


def mark_redis_down(exc: Exception) -> None:
    """Records a Redis failure: reads use PostgreSQL for the next few seconds."""
    global _redis_down_until
    _redis_down_until = time.monotonic() + REDIS_RETRY_AFTER_SECONDS
    logger.warning("Redis unavailable for home feeds (%s); using PostgreSQL", exc)


def reset_redis_state() -> None:
    """Forget the client and any recent failure (tests, and after settings change)."""
    global _client, _wire, _redis_down_until
    _client = _wire = None
    _scripts.clear()
    _redis_down_until = 0.0


# --- Keys and members --------------------------------------------------------------------


def key_prefix() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX') or 'tc'}:tl"


def feed_key(user_id: int) -> str:
    return f"{key_prefix()}:home:{user_id}"


def ok_key(user_id: int) -> str:
    """Present while the feed counts as built; expires before the feed itself."""
    return f"{feed_key(user_id)}:ok"


def all_key(user_id: int) -> str:
    """Present while the feed holds the user's whole home history (nothing was trimmed)."""
    return f"{feed_key(user_id)}:all"


def pull_authors_key() -> str:
    return f"{key_prefix()}:pull_authors"


def member(tweet_id: int, author_id: int) -> str:
    return f"{tweet_id}:{author_id}"


def parse_member(value: str) -> Candidate:
    tweet_id, author_id = value.split(":")
    return Candidate(int(tweet_id), int(author_id))


# --- Reading feeds ------------------------------------------------------------------------


def feed_entries(user_id: int) -> list[Candidate]:
    """The entries of a user's Redis feed, newest first (for tests, the bench and debugging)."""
    return [parse_member(value) for value in redis_client().zrevrangebyscore(feed_key(user_id), "+inf", "(0")]
