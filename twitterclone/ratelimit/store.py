"""GCRA (generic cell rate algorithm) state, in Redis or in this process.

A limit of ``N`` requests per ``T`` seconds lets a client spend ``N`` at once and then one every
``T / N`` seconds: each key stores one number, the theoretical arrival time (TAT) of the next
request. There are no windows, so no edge of a window where a fixed-window counter lets ``2N``
through in a moment.

Every request checks all of its limits in one call: one Lua script (one Redis round trip, atomic,
clocked by the Redis server so that every server process shares one clock) or, without Redis, the
same arithmetic under a lock on the local-memory cache. A request is counted against its limits only
if all of them allow it, so a refused request costs a client nothing and cannot extend its own wait.

When the limits live in the cache's Redis (production: both are ``REDIS_URL``) the script goes on the
cache's wire (``twitterclone.cache.cache_wire``, behind its breaker), and ``check_and_read`` sends a
read of the caller's with it in the same round trip: the token check of the request's JWT, so that
an authenticated request costs one Redis round trip before its view.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import NoScriptError

from ..cache import cache_wire
from ..redis_wire import Command, wire_for


@dataclass(frozen=True)
class Limit:
    """One limit to check: ``limit`` requests per ``period`` seconds for ``key``."""

    name: str
    key: str
    limit: int
    period: float


@dataclass(frozen=True)
class Outcome:
    name: str
    limit: int
    allowed: bool
    remaining: int
    reset: float  # epoch seconds when the whole budget is available again
    retry_after: float  # seconds until a request would be allowed (0 when allowed)


def _gcra(tat: float, now: float, limit: int, period: float) -> tuple[bool, float, int, float]:
    """One GCRA step in milliseconds: (allowed, new tat, remaining, retry after)."""
    interval = period / limit
    tat = max(tat, now)
    new_tat = tat + interval
    allow_at = new_tat - period
    if now < allow_at:
        return False, tat, 0, allow_at - now
    remaining = math.floor((period - (new_tat - now)) / interval + 1e-9)
    return True, new_tat, remaining, 0.0


# KEYS: one per limit. ARGV: now in ms (or -1 for the Redis server's clock), then for each limit
# its count and its period in ms. Returns now, then for each limit: allowed (1/0), tat, remaining,
# retry after (ms); tat and the other numbers as strings, since Lua numbers would be truncated.
GCRA_SCRIPT = """
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local results = {tostring(now)}
local new_tats = {}
local all_allowed = true
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local period = tonumber(ARGV[2 * i + 1])
  local interval = period / limit
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - period
  if now < allow_at then
    all_allowed = false
    table.insert(results, 0)
    table.insert(results, tostring(tat))
    table.insert(results, 0)
    table.insert(results, tostring(allow_at - now))
  else
    new_tats[i] = new_tat
    table.insert(results, 1)
    table.insert(results, tostring(new_tat))
    table.insert(results, math.floor((period - (new_tat - now)) / interval + 1e-9))
    table.insert(results, '0')
  end
end
if all_allowed then
  for i, key in ipairs(KEYS) do
    redis.call('SET', key, tostring(new_tats[i]), 'PX', math.ceil(new_tats[i] - now) + 1)
  end
end
return results
"""


GCRA_SHA = hashlib.sha1(GCRA_SCRIPT.encode()).hexdigest()  # noqa: S324 - Redis names scripts so


def _limits_wire():
    """Where the limits are checked, and whether it is the cache's Redis (then reads of cache keys
    can go with them): the cache's wire when the limits' Redis is the cache's (its timeouts, and
    its breaker: a hung Redis then costs one request a timeout per ``CACHE_FAILFAST_SECONDS``, not
    every request one), else a wire of their own with short timeouts (the limits fail open, they
    must not hold a request long)."""
    shared = cache_wire()
    if shared is not None and shared.location == settings.REDIS_URL:
        return shared, True
    return wire_for(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1), False


def _key(limit: Limit) -> str:
    return f"{settings.RATE_LIMIT_KEY_PREFIX}:{limit.name}:{limit.key}"


def _check_redis(limits: list[Limit], now_ms: float, read: Command | None) -> tuple[list[Outcome], list | None]:
    wire, shared = _limits_wire()
    keys = [_key(limit) for limit in limits]
    args: list[float | int] = [now_ms]
    for limit in limits:
        args += [limit.limit, limit.period * 1000]
    commands = [("EVALSHA", GCRA_SHA, len(keys), *keys, *args)]
    if read is not None and shared:
        commands.append(read)
    try:
        replies = wire.execute(*commands)
    except NoScriptError:  # Redis restarted or flushed its scripts: EVAL loads it again
        replies = wire.execute(("EVAL", GCRA_SCRIPT, len(keys), *keys, *args))
    raw = replies[0]
    server_now = float(raw[0])
    rows = [raw[1 + 4 * i : 5 + 4 * i] for i in range(len(limits))]
    all_allowed = all(int(row[0]) == 1 for row in rows)
    outcomes = [
        _outcome(limit, bool(int(row[0])), float(row[1]), int(row[2]), float(row[3]), server_now, all_allowed)
        for limit, row in zip(limits, rows, strict=True)
    ]
    return outcomes, replies[1] if len(replies) > 1 else None


_local_lock = threading.Lock()


def _check_local(limits: list[Limit], now_ms: float) -> list[Outcome]:
    """The same arithmetic on the local-memory cache; the lock makes it atomic in this process,
    which is all that shares that cache."""
    now = time.time() * 1000 if now_ms < 0 else now_ms
    keys = [_key(limit) for limit in limits]
    with _local_lock:
        stored = cache.get_many(keys)
        steps = [
            _gcra(float(stored.get(key, 0.0)), now, limit.limit, limit.period * 1000)
            for key, limit in zip(keys, limits, strict=True)
        ]
        all_allowed = all(step[0] for step in steps)
        if all_allowed:
            for key, step in zip(keys, steps, strict=True):
                cache.set(key, step[1], timeout=math.ceil((step[1] - now) / 1000) + 1)
    return [
        _outcome(limit, allowed, tat, remaining, retry, now, all_allowed)
        for limit, (allowed, tat, remaining, retry) in zip(limits, steps, strict=True)
    ]


def _outcome(
    limit: Limit, allowed: bool, tat: float, remaining: int, retry_ms: float, now_ms: float, counted: bool
) -> Outcome:
    if allowed and not counted:
        # Allowed by this limit but refused by another: nothing was spent, so one more is left.
        remaining += 1
        tat -= limit.period * 1000 / limit.limit
    return Outcome(
        name=limit.name,
        limit=limit.limit,
        allowed=allowed,
        remaining=max(remaining, 0),
        reset=max(tat, now_ms) / 1000,
        retry_after=retry_ms / 1000,
    )


def check(limits: list[Limit], now: float | None = None) -> list[Outcome]:
    """Checks one request against ``limits`` at once and counts it only if every one allows it.

    ``now`` (epoch seconds) is for tests; by default the clock is the Redis server's (shared by
    every process) or this machine's without Redis. Raises whatever the store raises (Redis down):
    the caller decides to fail open.
    """
    return check_and_read(limits, None, now)[0]


def check_and_read(
    limits: list[Limit], read: Command | None, now: float | None = None
) -> tuple[list[Outcome], list | None]:
    """``check(limits, now)``, and the read-only command ``read`` on the cache's Redis in the same
    round trip: the outcomes and the reply of ``read``, or None for the reply when it could not go
    with the limits (no limits, no Redis, the limits' Redis is not the cache's, or the script had
    to be loaded again)."""
    if not limits:
        return [], None
    now_ms = -1.0 if now is None else now * 1000
    if settings.REDIS_URL:
        return _check_redis(limits, now_ms, read)
    return _check_local(limits, now_ms), None
