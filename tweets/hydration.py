"""The cache of hydrated tweets: what a tweet shows that is not in its own row (its hashtags
and mentions) and the ids of the tweets it embeds, read for a whole page in one round trip
(``cache.get_many``).

An entry is ``(author_id, created_at, edited_at, quote_of_id, retweet_of_id, hashtags,
mentions)``. It is only used when its author, creation and edit times equal those of the row
the page just read, so an edit (which sets ``edited_at``), a deleted tweet, or an id reused by
another database can never show stale data, even if an invalidation was lost. The services
delete the entry besides, on edit, delete and moderation's hide/unhide
(``hydration_invalidate``). What may change without touching the tweet row (the author's
profile and suspension, counts, visibility, hidden state, the viewer's own state) is never
cached: each page reads it from PostgreSQL (``tweets.visibility`` joins the author).

When the cache is unavailable, every tweet is a miss: the page reads PostgreSQL, as it would
on a cold cache, and nothing fails.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from accounts.models import User
from twitterclone import effects
from twitterclone.db import statement_cursor

from .models import Hashtag, Mention, Tweet, TweetHashtag

logger = logging.getLogger("twitterclone.tweets")

CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Hydration:
    hashtags: list[str]
    mentions: list[dict]


def _key(tweet_id: int) -> str:
    return f"tw:hyd:{tweet_id}"


def _stamp(tweet: Tweet) -> tuple:
    edited = tweet.edited_at.timestamp() if tweet.edited_at else None
    return (tweet.author_id, tweet.created_at.timestamp(), edited, tweet.quote_of_id, tweet.retweet_of_id)


def _ids_sql(count: int) -> str:
    return ", ".join(["%s"] * count)


def _load(tweet_ids: Sequence[int]) -> dict[int, Hydration]:
    """Hashtags and mentions of these tweets from the database (two queries)."""
    hashtags: dict[int, list[str]] = {tweet_id: [] for tweet_id in tweet_ids}
    mentions: dict[int, list[dict]] = {tweet_id: [] for tweet_id in tweet_ids}
    if connection.vendor == "postgresql":
        match, params = "= ANY(%s)", [list(tweet_ids)]
    else:
        match, params = f"IN ({_ids_sql(len(tweet_ids))})", list(tweet_ids)
    with statement_cursor() as cursor:
        cursor.execute(
            f"SELECT link.tweet_id, tag.name FROM {TweetHashtag._meta.db_table} link "  # noqa: S608 - table names only
            f"JOIN {Hashtag._meta.db_table} tag ON tag.id = link.hashtag_id "
            f"WHERE link.tweet_id {match} ORDER BY link.id",
            params,
        )
        for tweet_id, name in cursor.fetchall():
            hashtags[tweet_id].append(name)
        cursor.execute(
            f"SELECT mention.tweet_id, mention.user_id, account.username FROM {Mention._meta.db_table} mention "  # noqa: S608
            f"JOIN {User._meta.db_table} account ON account.id = mention.user_id "
            f"WHERE mention.tweet_id {match} ORDER BY mention.id",
            params,
        )
        for tweet_id, user_id, username in cursor.fetchall():
            mentions[tweet_id].append({"id": user_id, "username": username})
    return {tweet_id: Hydration(hashtags[tweet_id], mentions[tweet_id]) for tweet_id in tweet_ids}


def hydrate(tweets: Iterable[Tweet]) -> dict[int, Hydration]:
    """The hydration of each tweet (by id): one cache round trip, then one database read and
    one cache write for the misses (two queries, whatever their number)."""
    by_id = {tweet.pk: tweet for tweet in tweets}
    if not by_id:
        return {}
    keys = {_key(tweet_id): tweet_id for tweet_id in by_id}
    try:
        cached = cache.get_many(list(keys))
    except Exception:
        logger.warning("cache unavailable for tweet hydration", exc_info=True)
        cached = None
    result: dict[int, Hydration] = {}
    for key, entry in (cached or {}).items():
        tweet = by_id[keys[key]]
        if entry[:5] == _stamp(tweet):
            result[tweet.pk] = Hydration(entry[5], entry[6])
    missing = [tweet_id for tweet_id in by_id if tweet_id not in result]
    if missing:
        loaded = _load(missing)
        result.update(loaded)
        if cached is not None:
            entries = {
                _key(tweet_id): (*_stamp(by_id[tweet_id]), item.hashtags, item.mentions)
                for tweet_id, item in loaded.items()
            }
            try:
                cache.set_many(entries, CACHE_SECONDS)
            except Exception:
                logger.warning("cache unavailable for tweet hydration", exc_info=True)
    return result


def hydration_invalidate(tweet_ids: Iterable[int]) -> None:
    """Drops the cached hydration of these tweets, now and again after the current transaction
    commits (so a page read meanwhile cannot put the old version back). Never raises."""
    keys = [_key(tweet_id) for tweet_id in tweet_ids if tweet_id is not None]
    if not keys:
        return

    def drop() -> None:
        try:
            cache.delete_many(keys)
        except Exception:
            logger.warning("cache unavailable: could not drop tweet hydration %s", keys, exc_info=True)

    drop()
    effects.after_commit(drop)
