"""Writes to home feeds: fan-out of a new tweet, removal of deleted tweets, follow changes.

Fan-out is chunked: one task handles ``TIMELINE_FAN_OUT_CHUNK`` followers (newest follows
first, keyset on the follow id) and queues the next chunk before pushing its own, so several
workers share a large fan-out. Each chunk is one Redis round trip (a pipeline of Lua calls,
``FAN_OUT_BATCH`` feeds each). Everything here is idempotent (sorted-set members), so a
redelivered task changes nothing.

This module never imports ``tweets.tasks`` (tasks import feeds, not the reverse): tasks are
queued by name, after commit, through ``twitterclone.effects`` (the outbox)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings

from twitterclone import effects

from ..models import Tweet
from .store import (
    ADD_IF_EXISTS,
    REMOVE_AUTHOR,
    feed_key,
    feed_size,
    mark_redis_down,
    member,
    ok_key,
    pull_authors_key,
    pull_threshold,
    redis_client,
    redis_enabled,
    script,
)

logger = logging.getLogger("twitterclone.timelines")

FAN_OUT_BATCH = 500  # feeds per Lua call
FAN_OUT_TASK = "tweets.tasks.fan_out_tweet"
REMOVE_TASK = "tweets.tasks.remove_tweets_from_feeds"


def fan_out_chunk_size() -> int:
    return settings.TIMELINE_FAN_OUT_CHUNK


@dataclass
class FanOutChunk:
    """One chunk of a fan-out: the feed member, the feeds to push it to, and where the next
    chunk starts (a follow id to read below; None when this is the last chunk)."""

    tweet_id: int
    member: str
    keys: list[str] = field(default_factory=list)
    next_before: int | None = None


def schedule_fan_out(*, tweet_id: int, author_id: int) -> None:
    """Call inside the transaction that stores the tweet. After commit: puts it in its author's
    own feed at once (read-your-writes, best-effort) and fans it out to followers with a task
    that goes through the outbox (``twitterclone.effects``: retried while the broker is down).
    Never raises after commit: a failure is logged, and the feeds are repaired by their expiry
    (the read path checks everything against PostgreSQL anyway)."""
    if not redis_enabled():
        return
    effects.after_commit(_add_to_own_feed, tweet_id, author_id)
    effects.task_after_commit(FAN_OUT_TASK, tweet_id)


def _add_to_own_feed(tweet_id: int, author_id: int) -> None:
    try:
        own_feed = [feed_key(author_id)]
        script("add", ADD_IF_EXISTS)(keys=own_feed, args=[tweet_id, member(tweet_id, author_id), feed_size()])
    except Exception as exc:
        mark_redis_down(exc)


def fan_out_plan(*, tweet_id: int, before_follow: int | None = None) -> FanOutChunk | None:
    """The feeds one chunk of the fan-out of ``tweet_id`` goes to: the followers whose follow
    id is below ``before_follow`` (all for the first chunk, which also includes the author's
    own feed). None when there is nothing to push: the tweet is gone, or its author has
    ``TIMELINE_PULL_THRESHOLD`` followers or more (then recorded as a pull author, whose
    tweets are merged in at read time)."""
    from social.models import Follow

    row = Tweet.objects.filter(pk=tweet_id).values_list("author_id", "author__followers_count").first()
    if row is None:
        return None
    author_id, followers_count = row
    if followers_count >= pull_threshold():
        if before_follow is None:
            redis_client().sadd(pull_authors_key(), author_id)
        return None
    size = fan_out_chunk_size()
    follows = Follow.objects.filter(followee_id=author_id)
    if before_follow is not None:
        follows = follows.filter(pk__lt=before_follow)
    rows = list(follows.order_by("-pk").values_list("pk", "follower_id")[: size + 1])
    chunk = FanOutChunk(tweet_id=tweet_id, member=member(tweet_id, author_id))
    if len(rows) > size:
        rows = rows[:size]
        chunk.next_before = rows[-1][0]
    chunk.keys = [feed_key(follower_id) for _, follower_id in rows]
    if before_follow is None:
        chunk.keys.append(feed_key(author_id))
    return chunk


def fan_out_push(chunk: FanOutChunk) -> int:
    """Adds the chunk's tweet to those of its feeds that exist, in one Redis round trip.
    Returns how many feeds received it."""
    if not chunk.keys:
        return 0
    add = script("add", ADD_IF_EXISTS)
    cap = feed_size()
    pipe = redis_client().pipeline(transaction=False)
    for start in range(0, len(chunk.keys), FAN_OUT_BATCH):
        add(keys=chunk.keys[start : start + FAN_OUT_BATCH], args=[chunk.tweet_id, chunk.member, cap], client=pipe)
    return sum(int(result) for result in pipe.execute())


def fan_out(*, tweet_id: int) -> int:
    """The whole fan-out of a tweet in this process, chunk after chunk (what the chained
    tasks do together). Returns how many feeds received it."""
    added, before = 0, None
    while True:
        chunk = fan_out_plan(tweet_id=tweet_id, before_follow=before)
        if chunk is None:
            return added
        added += fan_out_push(chunk)
        if chunk.next_before is None:
            return added
        before = chunk.next_before


def schedule_removal(removed: list[tuple[int, int]]) -> None:
    """Call inside the transaction that deletes tweets (id, author id): after commit a task
    (through the outbox) removes them from home feeds."""
    if not redis_enabled() or not removed:
        return
    effects.task_after_commit(REMOVE_TASK, [list(pair) for pair in removed])


def remove_tweets(removed: list[tuple[int, int]]) -> None:
    """Removes tweets (id, author id) from the feeds of their authors and their followers."""
    from social.models import Follow

    pipe = redis_client().pipeline(transaction=False)
    for tweet_id, author_id in removed:
        value = member(tweet_id, author_id)
        pipe.zrem(feed_key(author_id), value)
        for follower_id in Follow.objects.filter(followee_id=author_id).values_list("follower_id", flat=True):
            pipe.zrem(feed_key(follower_id), value)
    pipe.execute()


def follow_added(*, follower_id: int, followee_id: int) -> None:
    """After commit of a follow: the follower's feed is rebuilt on their next read, so that
    it holds the followee's recent tweets too."""
    if not redis_enabled():
        return
    try:
        redis_client().delete(ok_key(follower_id))
    except Exception as exc:
        mark_redis_down(exc)


def follow_removed(*, follower_id: int, followee_id: int) -> None:
    """After commit of an unfollow (or a block): removes the followee's tweets and retweets
    from the follower's feed."""
    if not redis_enabled():
        return
    try:
        script("remove_author", REMOVE_AUTHOR)(keys=[feed_key(follower_id)], args=[followee_id])
    except Exception as exc:
        mark_redis_down(exc)
