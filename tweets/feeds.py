"""Home timelines: candidate ids from Redis feeds (fan-out on write) or from PostgreSQL (pull).

Read docs/timelines.md first. In short:

- PostgreSQL is the authority. A home page is built in three steps: (1) *candidates*, ids of
  tweets by the viewer and the people they follow, newest first, from a Redis feed or a pull
  query; (2) *filter*, one query that keeps the candidates the viewer may see now
  (``Tweet.objects.visible_to``, still followed, not muted); (3) *display*, one
  ``tweets_for_display`` query set. Moderation (hide, suspend), deletes, unfollows, blocks and
  mutes therefore take effect at once, whatever a feed holds.
- A Redis feed is a sorted set ``<prefix>:tl:home:<user id>`` of members
  ``"<tweet id>:<author id>"`` scored by tweet id, capped at ``TIMELINE_FEED_SIZE``, plus a
  sentinel member ``~`` (score -1) so that the key exists while it is empty. A feed is *complete*
  for ids at or above its lowest entry: every tweet of a followed author (not a pull author) in
  that range is in it; ``<key>:all`` says it also holds everything older (nothing was trimmed
  since it was built). ``<key>:ok`` marks a feed as built; it expires before the feed itself.
- Fan-out (Celery task ``tweets.tasks.fan_out_tweet``) adds a new tweet to the feeds of the
  author's followers that exist (a Lua script: never creates a partial feed). Authors with
  ``TIMELINE_PULL_THRESHOLD`` followers or more are not fanned out: they join the set of pull
  authors, whose tweets are read from PostgreSQL at read time and merged in.
- A missing feed is rebuilt from PostgreSQL on read. Follow invalidates the follower's feed;
  unfollow removes the author's entries; delete removes the tweet and its retweets.
- When Redis is not configured or fails, every read uses the pull query (PostgreSQL only).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q

from accounts.models import User

from .models import Tweet

logger = logging.getLogger("twitterclone.timelines")

# 120 entries + the sentinel stay under Redis's zset-max-listpack-entries (128): a feed then
# takes ~2.6 kB instead of ~15 kB at 128 entries and ~55 kB at 500 (measured, docs/timelines.md).
FEED_SIZE: int = getattr(settings, "TIMELINE_FEED_SIZE", 120)
PULL_THRESHOLD: int = getattr(settings, "TIMELINE_PULL_THRESHOLD", 2000)
FEED_TTL_SECONDS: int = getattr(settings, "TIMELINE_FEED_TTL_SECONDS", 3600)
# After a Redis error, do not try Redis again for this long (requests fall back to PostgreSQL
# instead of each waiting for a timeout).
REDIS_RETRY_AFTER_SECONDS = 5.0
SENTINEL = "~"
MAX_FILTER_ROUNDS = 4
FAN_OUT_BATCH = 500

# KEYS: feeds; ARGV: score, member, cap. Adds to feeds that exist, then trims each to the
# sentinel plus the `cap` newest entries; a trimmed feed no longer holds all of its history.
_ADD_IF_EXISTS = """
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
_REMOVE_AUTHOR = """
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
    id: int
    author_id: int


@dataclass
class HomePage:
    """One page of a home timeline: the tweets in display order (newest first, authors
    loaded), and the bounds for the next (older) and previous (newer) pages, None when there
    are none."""

    tweets: list[Tweet]
    older_than: int | None
    newer_than: int | None
    source: str


# --- Redis plumbing ------------------------------------------------------------

_client = None
_scripts: dict = {}
_redis_down_until = 0.0


def redis_enabled() -> bool:
    """Whether home feeds are kept in Redis: ``TIMELINE_BACKEND`` is ``redis`` (the default
    when ``REDIS_URL`` is set) and Redis did not fail in the last few seconds."""
    backend = getattr(settings, "TIMELINE_BACKEND", "") or ("redis" if settings.REDIS_URL else "pull")
    return backend == "redis" and bool(settings.REDIS_URL) and time.monotonic() >= _redis_down_until


def _redis():
    global _client
    if _client is None:
        import redis

        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5, decode_responses=True
        )
    return _client


def _script(name: str, source: str):
    if name not in _scripts:
        _scripts[name] = _redis().register_script(source)
    return _scripts[name]


def _mark_redis_down(exc: Exception) -> None:
    global _redis_down_until
    _redis_down_until = time.monotonic() + REDIS_RETRY_AFTER_SECONDS
    logger.warning("Redis unavailable for home feeds (%s); using PostgreSQL", exc)


def reset_redis_state() -> None:
    """Forget the client and any recent failure (tests, and after settings change)."""
    global _client, _redis_down_until
    _client = None
    _scripts.clear()
    _redis_down_until = 0.0


def _prefix() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX') or 'tc'}:tl"


def feed_key(user_id: int) -> str:
    return f"{_prefix()}:home:{user_id}"


def _ok_key(user_id: int) -> str:
    return f"{feed_key(user_id)}:ok"


def _all_key(user_id: int) -> str:
    """Present while the feed holds the user's whole home history (nothing was trimmed)."""
    return f"{feed_key(user_id)}:all"


def _pull_authors_key() -> str:
    return f"{_prefix()}:pull_authors"


def _member(tweet_id: int, author_id: int) -> str:
    return f"{tweet_id}:{author_id}"


def _parse(member: str) -> Candidate:
    tweet_id, author_id = member.split(":")
    return Candidate(int(tweet_id), int(author_id))


# --- Candidates from PostgreSQL (the pull query) ----------------------------------


def pull_candidates(
    *, user_id: int, before: int | None = None, after: int | None = None, limit: int, author_ids=None
) -> list[Candidate]:
    """Ids (with authors) of the newest ``limit`` tweets and retweets by the user and the
    people they follow (minus muted ones), below ``before`` (newest first) or above ``after``
    (oldest first). ``author_ids`` restricts the followed authors (pull authors).

    On PostgreSQL a LATERAL join reads at most ``limit`` index entries per followed author
    from ``tweets_author_id`` (author_id, id desc), whatever the size of the table; elsewhere
    a plain ORM query."""
    if connection.vendor == "postgresql":
        return _pull_candidates_postgres(
            user_id=user_id, before=before, after=after, limit=limit, author_ids=author_ids
        )
    from social.models import Follow, Mute

    followees = Follow.objects.filter(follower_id=user_id)
    if author_ids is not None:
        followees = followees.filter(followee_id__in=list(author_ids))
        authors = Q(author_id__in=followees.values("followee_id"))
    else:
        authors = Q(author_id=user_id) | Q(author_id__in=followees.values("followee_id"))
    queryset = Tweet.objects.filter(authors).exclude(
        author_id__in=Mute.objects.filter(muter_id=user_id).values("muted_id")
    )
    if after is not None:
        queryset = queryset.filter(pk__gt=after).order_by("id")
    else:
        queryset = queryset.filter(pk__lt=before).order_by("-id") if before is not None else queryset.order_by("-id")
    return [Candidate(*row) for row in queryset.values_list("id", "author_id")[:limit]]


def _pull_candidates_postgres(
    *, user_id: int, before: int | None, after: int | None, limit: int, author_ids
) -> list[Candidate]:
    if after is not None:
        bound, direction = "t.id > %(bound)s", "ASC"
    else:
        bound, direction = ("t.id < %(bound)s" if before is not None else "TRUE"), "DESC"
    restrict = "AND f.followee_id = ANY(%(authors)s)" if author_ids is not None else ""
    own = ""
    if author_ids is None:
        own = (
            "UNION ALL (SELECT t.id, t.author_id FROM tweets_tweet t "  # noqa: S608 - constant fragments only
            f"WHERE t.author_id = %(user)s AND {bound} ORDER BY t.id {direction} LIMIT %(limit)s)"
        )
    sql = f"""
        SELECT id, author_id FROM (
            SELECT c.id, c.author_id FROM social_follow f
            CROSS JOIN LATERAL (
                SELECT t.id, t.author_id FROM tweets_tweet t
                WHERE t.author_id = f.followee_id AND {bound}
                ORDER BY t.id {direction} LIMIT %(limit)s
            ) c
            WHERE f.follower_id = %(user)s {restrict}
              AND NOT EXISTS (
                SELECT 1 FROM social_mute m WHERE m.muter_id = %(user)s AND m.muted_id = f.followee_id)
            {own}
        ) candidates ORDER BY id {direction} LIMIT %(limit)s
    """  # noqa: S608 - only constant fragments are interpolated; values are bound parameters
    params = {
        "user": user_id,
        "bound": after if after is not None else before,
        "limit": limit,
        "authors": list(author_ids or []),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Candidate(row[0], row[1]) for row in cursor.fetchall()]


# --- Candidates from Redis ------------------------------------------------------------


def _ensure_feed(user_id: int) -> None:
    """Builds the user's feed from PostgreSQL unless it is marked built.

    The key is (re)created with its sentinel *before* reading PostgreSQL, so a fan-out that
    runs while we read (for a tweet committed after our snapshot) finds it and adds to it."""
    client = _redis()
    if client.exists(_ok_key(user_id)):
        return
    key = feed_key(user_id)
    pipe = client.pipeline(transaction=True)
    pipe.delete(key)
    pipe.zadd(key, {SENTINEL: -1})
    pipe.expire(key, FEED_TTL_SECONDS + 60)
    pipe.execute()
    entries = pull_candidates(user_id=user_id, limit=FEED_SIZE)
    pipe = client.pipeline(transaction=True)
    if entries:
        pipe.zadd(key, {_member(entry.id, entry.author_id): entry.id for entry in entries})
        pipe.zremrangebyrank(key, 1, -(FEED_SIZE + 1))
    if len(entries) < FEED_SIZE:
        pipe.set(_all_key(user_id), "1", ex=FEED_TTL_SECONDS)
    else:
        pipe.delete(_all_key(user_id))
    pipe.set(_ok_key(user_id), "1", ex=FEED_TTL_SECONDS)
    pipe.execute()


def _redis_candidates(*, user_id: int, before: int | None, limit: int) -> list[Candidate] | None:
    """The newest ``limit`` candidates below ``before`` from the feed merged with the pull
    authors' tweets, or None when the feed does not reach that far (then PostgreSQL must
    answer)."""
    _ensure_feed(user_id)
    client = _redis()
    upper = f"({before}" if before is not None else "+inf"
    pipe = client.pipeline(transaction=False)
    pipe.zrevrangebyscore(feed_key(user_id), upper, "(0", start=0, num=limit)
    pipe.smembers(_pull_authors_key())
    pipe.exists(_all_key(user_id))
    members, pull_authors, holds_all = pipe.execute()
    if len(members) < limit and not holds_all:
        return None  # below the feed's floor: older entries were trimmed
    candidates = {entry.id: entry for entry in map(_parse, members)}
    if pull_authors:
        for entry in pull_candidates(
            user_id=user_id, before=before, limit=limit, author_ids=[int(author) for author in pull_authors]
        ):
            candidates.setdefault(entry.id, entry)
    return sorted(candidates.values(), key=lambda entry: entry.id, reverse=True)[:limit]


# --- Pages ----------------------------------------------------------------------------


def _visible_home_tweets(viewer: User, ids: list[int]) -> dict[int, Tweet]:
    """Of these candidate ids, the tweets the viewer may see in their home timeline now
    (with their authors): visible (``visible_to``), by themselves or someone they still
    follow, and neither by nor a retweet of someone they mute."""
    from social.models import Follow, Mute

    followees = Follow.objects.filter(follower_id=viewer.pk).values("followee_id")
    muted = Mute.objects.filter(muter_id=viewer.pk).values("muted_id")
    queryset = (
        Tweet.objects.visible_to(viewer)
        .filter(pk__in=ids)
        .filter(Q(author_id=viewer.pk) | Q(author_id__in=followees))
        .exclude(author_id__in=muted)
        .exclude(retweet_of__author_id__in=muted)
        .select_related("author")
    )
    return {tweet.pk: tweet for tweet in queryset}


def home_page(*, viewer: User, size: int, before: int | None = None, after: int | None = None) -> HomePage:
    """One page of the viewer's home timeline (see the module docstring).

    ``before``: ids below it, newest first (the next page); ``after``: the ``size`` ids just
    above it, still shown newest first (the previous page). Candidates that the filter
    drops are skipped, reading further (up to a few rounds) to fill the page, so the page
    boundaries are ids and a page never skips or repeats an item when new tweets arrive."""
    ascending = after is not None
    use_redis = redis_enabled() and not ascending
    sources: list[str] = []
    collected: list[Tweet] = []
    bound = after if ascending else before
    exhausted = False
    for _ in range(MAX_FILTER_ROUNDS):
        want = size + 1 - len(collected)
        candidates = None
        if use_redis:
            try:
                candidates = _redis_candidates(user_id=viewer.pk, before=bound, limit=want)
            except Exception as exc:  # any Redis failure: answer from PostgreSQL
                _mark_redis_down(exc)
            if candidates is None:
                use_redis = False  # below the feed's floor, or Redis failed
        if candidates is None:
            direction = {"after": bound} if ascending else {"before": bound}
            candidates = pull_candidates(user_id=viewer.pk, limit=want, **direction)
        label = "redis" if use_redis else "postgres"
        if label not in sources:
            sources.append(label)
        if not candidates:
            exhausted = True
            break
        visible = _visible_home_tweets(viewer, [candidate.id for candidate in candidates])
        for candidate in candidates:
            bound = candidate.id
            if candidate.id in visible:
                collected.append(visible[candidate.id])
                if len(collected) > size:
                    break
        if len(collected) > size:
            break
        if len(candidates) < want:
            exhausted = True
            break

    page = collected[:size]
    full = len(collected) > size
    # Where the next read in the same direction starts: after the last item shown when the
    # page is full, else after everything examined (a page emptied by the filter still moves on).
    continue_from = (page[-1].pk if full else bound) if (full or not exhausted) else None
    source = "+".join(sources)
    if ascending:
        page.reverse()
        older_than = page[-1].pk if page else after + 1
        return HomePage(tweets=page, older_than=older_than, newer_than=continue_from, source=source)
    newer_than = (page[0].pk if page else before) if before is not None else None
    return HomePage(tweets=page, older_than=continue_from, newer_than=newer_than, source=source)


# --- Writes -------------------------------------------------------------------------------


def schedule_fan_out(*, tweet_id: int, author_id: int) -> None:
    """After commit: puts the tweet in its author's own feed at once (read-your-writes), then
    queues the fan-out to followers. Never raises: a failure is logged, and the feeds are
    repaired by their expiry (the read path checks everything against PostgreSQL anyway)."""
    if not redis_enabled():
        return
    try:
        _script("add", _ADD_IF_EXISTS)(
            keys=[feed_key(author_id)], args=[tweet_id, _member(tweet_id, author_id), FEED_SIZE]
        )
    except Exception as exc:
        _mark_redis_down(exc)
        return
    from .tasks import fan_out_tweet

    try:
        fan_out_tweet.apply_async(args=[tweet_id], retry=False)
    except Exception:
        logger.warning("could not queue the fan-out of tweet %s", tweet_id, exc_info=True)


def fan_out(*, tweet_id: int) -> int:
    """Adds a tweet to the existing home feeds of its author's followers. Authors with
    ``PULL_THRESHOLD`` followers or more are recorded as pull authors instead (their tweets
    are merged in at read time). Returns how many feeds received it."""
    from social.models import Follow

    tweet = Tweet.objects.filter(pk=tweet_id).select_related("author").only("id", "author__followers_count").first()
    if tweet is None:
        return 0
    client = _redis()
    if tweet.author.followers_count >= PULL_THRESHOLD:
        client.sadd(_pull_authors_key(), tweet.author_id)
        return 0
    add = _script("add", _ADD_IF_EXISTS)
    member = _member(tweet.pk, tweet.author_id)
    follower_ids = Follow.objects.filter(followee_id=tweet.author_id).values_list("follower_id", flat=True)
    keys = [feed_key(follower_id) for follower_id in follower_ids.iterator(chunk_size=2000)]
    keys.append(feed_key(tweet.author_id))
    added = 0
    pipe = client.pipeline(transaction=False)
    for start in range(0, len(keys), FAN_OUT_BATCH):
        add(keys=keys[start : start + FAN_OUT_BATCH], args=[tweet.pk, member, FEED_SIZE], client=pipe)
    for result in pipe.execute():
        added += int(result)
    return added


def schedule_removal(removed: list[tuple[int, int]]) -> None:
    """After commit: queues the removal of deleted tweets (id, author id) from home feeds."""
    if not redis_enabled() or not removed:
        return
    from .tasks import remove_tweets_from_feeds

    try:
        remove_tweets_from_feeds.apply_async(args=[[list(pair) for pair in removed]], retry=False)
    except Exception:
        logger.warning("could not queue the feed removal of %s", removed, exc_info=True)


def remove_tweets(removed: list[tuple[int, int]]) -> None:
    """Removes tweets (id, author id) from the feeds of their authors and their followers."""
    from social.models import Follow

    client = _redis()
    pipe = client.pipeline(transaction=False)
    for tweet_id, author_id in removed:
        member = _member(tweet_id, author_id)
        pipe.zrem(feed_key(author_id), member)
        for follower_id in Follow.objects.filter(followee_id=author_id).values_list("follower_id", flat=True):
            pipe.zrem(feed_key(follower_id), member)
    pipe.execute()


def follow_added(*, follower_id: int, followee_id: int) -> None:
    """After commit of a follow: the follower's feed is rebuilt on their next read, so that
    it holds the followee's recent tweets too."""
    if not redis_enabled():
        return
    try:
        _redis().delete(_ok_key(follower_id))
    except Exception as exc:
        _mark_redis_down(exc)


def follow_removed(*, follower_id: int, followee_id: int) -> None:
    """After commit of an unfollow (or a block): removes the followee's tweets and retweets
    from the follower's feed."""
    if not redis_enabled():
        return
    try:
        _script("remove_author", _REMOVE_AUTHOR)(keys=[feed_key(follower_id)], args=[followee_id])
    except Exception as exc:
        _mark_redis_down(exc)


def feed_entries(user_id: int) -> list[Candidate]:
    """The entries of a user's Redis feed, newest first (for tests and debugging)."""
    return [_parse(member) for member in _redis().zrevrangebyscore(feed_key(user_id), "+inf", "(0")]
