"""The cache of hydrated tweets: what a tweet shows that is not in its own row (its hashtags
and mentions) and the ids of the tweets it embeds, read for a whole page in one round trip
(``cache.get_many``).

An entry is ``(author_id, created_at, edited_at, quote_of_id, retweet_of_id, hashtags,
mentioned user ids)``. It is only used when its author, creation and edit times equal those of the row
the page just read, so an edit (which sets ``edited_at``), a deleted tweet, or an id reused by
another database can never show stale data, even if an invalidation was lost. The services
delete the entry besides, on edit, delete and moderation's hide/unhide
(``hydration_invalidate``). What may change without touching the tweet row (the author's
profile and suspension, counts, visibility, hidden state, the viewer's own state) is never
cached: each page reads it from PostgreSQL (``tweets.visibility`` joins the author). That
includes a mentioned user's username (a superuser may rename a user, which touches no tweet
row): an entry keeps the mentioned users' ids only, and ``hydrate`` reads their current
usernames with the page, from the authors the page already loaded, else in one query
(``_usernames``) only when a mentioned user is not among them. A mentioned user who no
longer exists is left out.

When the cache is unavailable, every tweet is a miss: the page reads PostgreSQL, as it would
on a cold cache, and nothing fails.

In front of the shared cache, each process keeps the entries it read or wrote (up to
``LOCAL_ENTRIES_KEPT``, then it starts again), checked against the row's stamp like the shared
ones: a page whose tweets are all there costs no cache round trip, no key building and no
unpickling. An edit or delete in another process changes the stamp or removes the row, so a
lost local invalidation can no more show stale data than a lost shared one;
``hydration_invalidate`` drops the local entries of the process that made the change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import NamedTuple

from django.core.cache import cache
from django.db import connection

from accounts.models import User
from twitterclone import effects
from twitterclone.db import statement_cursor

from .models import Hashtag, Mention, Tweet, TweetHashtag

logger = logging.getLogger("twitterclone.tweets")

CACHE_SECONDS = 24 * 3600
LOCAL_ENTRIES_KEPT = 20_000
# tweet id -> the entry, as in the shared cache (see the module docstring).
_local: dict[int, tuple] = {}


def forget_local() -> None:
    """Empties this process's entries (tests that make the shared cache cold use it too)."""
    _local.clear()


def _keep_local(tweet_id: int, entry: tuple) -> None:
    if len(_local) >= LOCAL_ENTRIES_KEPT:
        _local.clear()
    _local[tweet_id] = entry


class Hydration(NamedTuple):
    hashtags: list[str]
    mentions: list[dict]


def _key(tweet_id: int) -> str:
    return f"tw:hyd2:{tweet_id}"  # (2: mentions as user ids; "tw:hyd:" entries held usernames)


def stamp_of(
    author_id: int, created_at: datetime, edited_at: datetime | None, quote_of_id: int | None, retweet_of_id: int | None
) -> tuple:
    """What an entry is checked against (its first five values): the tweet row's author,
    creation and edit times, and the ids of the tweets it embeds."""
    edited = edited_at.timestamp() if edited_at else None
    return (author_id, created_at.timestamp(), edited, quote_of_id, retweet_of_id)


def _stamp(tweet: Tweet) -> tuple:
    return stamp_of(tweet.author_id, tweet.created_at, tweet.edited_at, tweet.quote_of_id, tweet.retweet_of_id)


def _ids_sql(count: int) -> str:
    return ", ".join(["%s"] * count)


def _match(ids: Sequence[int]) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [list(ids)]
    return f"IN ({_ids_sql(len(ids))})", list(ids)


def _load(tweet_ids: Sequence[int], usernames: dict[int, str]) -> dict[int, tuple[list[str], tuple[int, ...]]]:
    """Hashtags and mentioned user ids of these tweets from the database (two queries); the
    mentioned users' usernames, read with them, go into ``usernames``."""
    hashtags: dict[int, list[str]] = {tweet_id: [] for tweet_id in tweet_ids}
    mentions: dict[int, list[int]] = {tweet_id: [] for tweet_id in tweet_ids}
    match, params = _match(tweet_ids)
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
            mentions[tweet_id].append(user_id)
            usernames[user_id] = username
    return {tweet_id: (hashtags[tweet_id], tuple(mentions[tweet_id])) for tweet_id in tweet_ids}


def _usernames(user_ids: Sequence[int]) -> dict[int, str]:
    """The current usernames of these users (one query); a deleted user is left out."""
    match, params = _match(user_ids)
    with statement_cursor() as cursor:
        cursor.execute(f"SELECT id, username FROM {User._meta.db_table} WHERE id {match}", params)  # noqa: S608
        return dict(cursor.fetchall())


_AUTHOR_FIELD = Tweet._meta.get_field("author")


def hydrate(tweets: Iterable[Tweet], *, usernames: dict[int, str] | None = None) -> dict[int, Hydration]:
    """The hydration of each tweet (by id): one cache round trip, then one database read and
    one cache write for the misses (two queries, whatever their number), and one query for the
    usernames of mentioned users who are neither authors on the page nor read with the misses.
    ``usernames``: current usernames already read with the page (user id -> username), such as
    the home timeline's statement reads for every user its tweets mention."""
    by_id = {tweet.pk: tweet for tweet in tweets}
    authors: dict[int, str] = {}
    for tweet in by_id.values():
        author = _AUTHOR_FIELD.get_cached_value(tweet, None)
        if author is not None and "username" in author.__dict__:
            authors[author.pk] = author.username
    return hydrate_stamped(
        {tweet_id: _stamp(tweet) for tweet_id, tweet in by_id.items()}, usernames=usernames, authors=authors
    )


def hydrate_stamped(
    stamps: Mapping[int, tuple], *, usernames: Mapping[int, str] | None = None, authors: Mapping[int, str]
) -> dict[int, Hydration]:
    """``hydrate`` for tweets given as their stamps (tweet id -> ``stamp_of`` its row), such as
    rows read without model instances; ``authors``: the current usernames of their authors
    (user id -> username), read with the rows."""
    if not stamps:
        return {}
    found: dict[int, tuple] = {}
    for tweet_id, stamp in stamps.items():
        entry = _local.get(tweet_id)
        if entry is not None and entry[:5] == stamp:
            found[tweet_id] = entry
    known = dict(usernames) if usernames else {}
    if len(found) < len(stamps):
        _read_shared_and_misses(stamps, found, known)
    known.update(authors)
    unknown = {user_id for entry in found.values() for user_id in entry[6]} - known.keys()
    if unknown:
        known.update(_usernames(sorted(unknown)))
    hydrated: dict[int, Hydration] = {}
    for tweet_id, entry in found.items():
        mentioned = entry[6]
        mentions = (
            [{"id": user_id, "username": known[user_id]} for user_id in mentioned if user_id in known]
            if mentioned
            else []
        )
        hydrated[tweet_id] = _new_hydration((entry[5], mentions))
    return hydrated


# ``Hydration(hashtags, mentions)`` without the NamedTuple's Python ``__new__`` (a page builds one
# per tweet shown).
_new_hydration = partial(tuple.__new__, Hydration)


def _read_shared_and_misses(stamps: Mapping[int, tuple], found: dict[int, tuple], usernames: dict[int, str]) -> None:
    """Fills ``found`` with the entries of the tweets it lacks: from the shared cache, else from
    the database (then written to the cache); both kept in this process."""
    keys = {_key(tweet_id): tweet_id for tweet_id in stamps if tweet_id not in found}
    try:
        cached = cache.get_many(list(keys))
    except Exception:
        logger.warning("cache unavailable for tweet hydration", exc_info=True)
        cached = None
    for key, entry in (cached or {}).items():
        tweet_id = keys[key]
        if entry[:5] == stamps[tweet_id]:
            found[tweet_id] = entry
            _keep_local(tweet_id, entry)
    missing = [tweet_id for tweet_id in stamps if tweet_id not in found]
    if not missing:
        return
    entries = {
        tweet_id: (*stamps[tweet_id], hashtags, mentioned)
        for tweet_id, (hashtags, mentioned) in _load(missing, usernames).items()
    }
    found.update(entries)
    if cached is not None:
        try:
            cache.set_many({_key(tweet_id): entry for tweet_id, entry in entries.items()}, CACHE_SECONDS)
        except Exception:
            logger.warning("cache unavailable for tweet hydration", exc_info=True)
    for tweet_id, entry in entries.items():
        _keep_local(tweet_id, entry)


def hydration_prefill(tweet: Tweet, *, hashtags: Sequence[str], mentioned_ids: Sequence[int]) -> None:
    """Stores the hydration of a tweet just written (its hashtags in link order, its mentioned
    users' ids in mention order): in this process at once, in the shared cache after commit, so
    the first page that shows it reads neither. Never raises."""
    entry = (*_stamp(tweet), list(hashtags), tuple(mentioned_ids))
    _keep_local(tweet.pk, entry)
    effects.after_commit(cache.set, _key(tweet.pk), entry, CACHE_SECONDS)  # (errors logged, not raised)


def hydration_invalidate(tweet_ids: Iterable[int]) -> None:
    """Drops the cached hydration of these tweets, now and again after the current transaction
    commits (so a page read meanwhile cannot put the old version back). Never raises."""
    ids = [tweet_id for tweet_id in tweet_ids if tweet_id is not None]
    keys = [_key(tweet_id) for tweet_id in ids]
    if not keys:
        return

    def drop() -> None:
        for tweet_id in ids:
            _local.pop(tweet_id, None)
        try:
            cache.delete_many(keys)
        except Exception:
            logger.warning("cache unavailable: could not drop tweet hydration %s", keys, exc_info=True)

    drop()
    effects.after_commit(drop)
