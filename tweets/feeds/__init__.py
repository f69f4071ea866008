"""Home timelines: candidate ids from Redis feeds (fan-out on write) or from PostgreSQL (pull).

Read docs/timelines.md first. In short:

- PostgreSQL is the authority. A home page is built in three steps: (1) *candidates*, ids of
  tweets by the viewer and the people they follow, newest first, from a Redis feed or a pull
  query; (2) *filter*, one constant SQL statement that keeps the candidates the viewer may see
  now (``tweets.visibility.home_rows_with_embedded``: the visibility rule, still followed, not
  muted; the same statement also reads the tweets they quote or retweet and the usernames of
  the users they mention); (3) *display*, ``tweets.selectors.rows_for_display`` on the page's rows,
  given what step 2 read with it. Moderation (hide,
  suspend), deletes, unfollows, blocks and mutes therefore take effect at once, whatever a
  feed holds.
- A Redis feed is a sorted set ``<prefix>:tl:home:<user id>`` of members
  ``"<tweet id>:<author id>"`` scored by tweet id, capped at ``TIMELINE_FEED_SIZE``, plus a
  sentinel member ``~`` (score -1) so that the key exists while it is empty. A feed is *complete*
  for ids at or above its lowest entry: every tweet of a followed author (not a pull author) in
  that range is in it; ``<key>:all`` says it also holds everything older (nothing was trimmed
  since it was built). ``<key>:ok`` marks a feed as built; it expires before the feed itself.
- Fan-out (Celery task ``tweets.tasks.fan_out_tweet``, in chunks of followers) adds a new tweet to the feeds of the
  author's followers that exist (a Lua script: never creates a partial feed). Authors with
  ``TIMELINE_PULL_THRESHOLD`` followers or more are not fanned out: they join the set of pull
  authors, whose tweets are read from PostgreSQL at read time and merged in.
- A missing feed is rebuilt from PostgreSQL on read. Follow invalidates the follower's feed;
  unfollow removes the author's entries; delete removes the tweet and its retweets.
- When Redis is not configured or fails, every read uses the pull query (PostgreSQL only).

Modules: ``store`` (Redis client, keys, Lua scripts), ``candidates`` (step 1: the pull query,
the Redis feed and its rebuild), ``pages`` (steps 2-3: filter and cursors), ``fanout``
(writes: fan-out, removal, follow changes). Nothing here imports ``tweets.tasks``.
"""

from __future__ import annotations

from .candidates import ensure_feed, pull_candidates, redis_candidates
from .fanout import (
    FAN_OUT_TASK,
    REMOVE_TASK,
    FanOutChunk,
    fan_out,
    fan_out_plan,
    fan_out_push,
    follow_added,
    follow_removed,
    remove_tweets,
    schedule_fan_out,
    schedule_removal,
)
from .pages import HomePage, home_page
from .store import (
    Candidate,
    feed_entries,
    feed_key,
    key_prefix,
    pull_authors_key,
    redis_client,
    redis_enabled,
    reset_redis_state,
)

__all__ = [
    "FAN_OUT_TASK",
    "REMOVE_TASK",
    "Candidate",
    "FanOutChunk",
    "HomePage",
    "ensure_feed",
    "fan_out",
    "fan_out_plan",
    "fan_out_push",
    "feed_entries",
    "feed_key",
    "follow_added",
    "follow_removed",
    "home_page",
    "key_prefix",
    "pull_authors_key",
    "pull_candidates",
    "redis_candidates",
    "redis_client",
    "redis_enabled",
    "remove_tweets",
    "reset_redis_state",
    "schedule_fan_out",
    "schedule_removal",
]
