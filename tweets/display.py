"""Loading what a page of tweets needs to be rendered, in a fixed number of small queries.

``attach_display_data(tweets, viewer)`` is called where pages are built (the selectors, the
home timeline). For a page of any size (tweets loaded with their authors) it costs:

1. the quoted and retweeted tweets, and the tweets quoted by retweeted ones, that ``viewer``
   may see (an invisible one stays ``None``), with their authors: one constant SQL statement
   over id arrays (``tweets.visibility.embedded_tweets``), only when the page embeds some, and
   none when the page's statement read them already (``embedded=``: the home timeline);
2. hashtags and mentions of every tweet shown: one cache round trip
   (``tweets.hydration.hydrate``), plus two queries for the cache misses;
3. the viewer's likes, bookmarks and retweets among them: one UNION query.

It sets on each tweet: ``display_quote_of``, ``display_retweet_of`` (Tweet or None),
``display_hashtags`` (names), ``display_mentions`` ({id, username} dicts) and, for an
authenticated viewer, ``viewer_liked``, ``viewer_retweeted``, ``viewer_bookmarked``: everything
``tweets.serializers.TweetSerializer`` reads, so rendering runs no query.

``rows_for_display(rows, embedded=...)`` does steps 1 and 2 for a page read as rows with the
tweets it embeds (the home timeline's statement, whose rows carry the viewer's state: step 3
is done), without model instances: it gives the rows to render, the embedded rows the viewer
may see and the hydration of each (``DisplayRows``, for ``tweets.rendering.render_rows``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import TypeVar

from django.db import connection

from twitterclone.db import statement_cursor

from .hydration import Hydration, hydrate, hydrate_stamped, stamp_of
from .models import Bookmark, Like, Tweet, viewer_id_of
from .visibility import AUTHOR_AT, AUTHOR_COLUMNS, TWEET_COLUMNS, embedded_tweets, has_viewer_state, set_viewer_state

T = TypeVar("T")

LIKED, BOOKMARKED, RETWEETED = 1, 2, 3
_quote_of_id = attrgetter("quote_of_id")


def _viewer_state(viewer_id: int, tweet_ids: list[int]) -> set[tuple[int, int]]:
    if connection.vendor == "postgresql":
        match, params = "= ANY(%s)", [viewer_id, tweet_ids] * 3
    else:
        match = f"IN ({', '.join(['%s'] * len(tweet_ids))})"
        params = [viewer_id, *tweet_ids] * 3
    with statement_cursor() as cursor:
        cursor.execute(
            f"SELECT {LIKED}, tweet_id FROM {Like._meta.db_table} "  # noqa: S608 - constants and table names only
            f"WHERE user_id = %s AND tweet_id {match} "
            f"UNION ALL SELECT {BOOKMARKED}, tweet_id FROM {Bookmark._meta.db_table} "
            f"WHERE user_id = %s AND tweet_id {match} "
            f"UNION ALL SELECT {RETWEETED}, retweet_of_id FROM {Tweet._meta.db_table} "
            f"WHERE author_id = %s AND retweet_of_id {match}",
            params,
        )
        return {(kind, tweet_id) for kind, tweet_id in cursor.fetchall()}


def _embedded_from(
    read: Mapping[int, T], ids: set[int], quoted_by: set[int], quote_of_id: Callable[[T], int | None]
) -> dict[int, T]:
    """What ``embedded_tweets(ids=ids, quoted_by=quoted_by)`` gives, taken from tweets (or their
    rows) already read by it for a superset of ``ids`` and ``quoted_by`` (the home page's
    statement)."""
    loaded = {tweet_id: read[tweet_id] for tweet_id in ids if tweet_id in read}
    for tweet_id in quoted_by:
        quoted_id = quote_of_id(read[tweet_id]) if tweet_id in read else None
        if quoted_id in read:
            loaded[quoted_id] = read[quoted_id]
    return loaded


def attach_display_data(
    tweets: Iterable[Tweet],
    viewer,
    *,
    embedded: dict[int, Tweet] | None = None,
    usernames: dict[int, str] | None = None,
) -> list[Tweet]:
    """Sets the display attributes (see the module docstring) on ``tweets`` and on the tweets
    they embed, and returns the tweets as a list. Tweets must have their author loaded
    (``select_related("author")``, or rows from ``tweets.visibility``). ``embedded``: the
    tweets they embed as ``embedded_tweets`` read them already (with the page), by id; then
    step 1 runs no query. ``usernames``: current usernames of mentioned users read with the
    page (``tweets.hydration.hydrate`` then reads none of those)."""
    tweets = [tweet for tweet in tweets if tweet is not None]
    if not tweets:
        return tweets
    viewer_id = viewer_id_of(viewer)
    # 1: referenced tweets one level deep (quote, retweet), and the tweet quoted by a retweeted
    # tweet, in one statement.
    retweet_of_ids = {tweet.retweet_of_id for tweet in tweets if tweet.retweet_of_id}
    quote_of_ids = {tweet.quote_of_id for tweet in tweets if tweet.quote_of_id}
    if embedded is not None:
        loaded = _embedded_from(embedded, quote_of_ids | retweet_of_ids, retweet_of_ids, _quote_of_id)
    else:
        loaded = embedded_tweets(viewer_id=viewer_id, ids=quote_of_ids | retweet_of_ids, quoted_by=retweet_of_ids)
    retweeted = [loaded[tweet.retweet_of_id] for tweet in tweets if tweet.retweet_of_id in loaded]
    for tweet in tweets:
        tweet.display_quote_of = loaded.get(tweet.quote_of_id) if tweet.quote_of_id else None
        tweet.display_retweet_of = loaded.get(tweet.retweet_of_id) if tweet.retweet_of_id else None
    for original in retweeted:
        original.display_quote_of = loaded.get(original.quote_of_id) if original.quote_of_id else None
        original.display_retweet_of = None

    everything = list({id(tweet): tweet for tweet in [*tweets, *loaded.values()]}.values())
    # 2-3: hashtags and mentions (cached), and the viewer's own state.
    hydrated = hydrate(everything, usernames=usernames)
    # The viewer's state: already read with the rows of the constant statements; one query
    # for the others (tweets loaded through the ORM).
    unknown = [] if viewer_id is None else [tweet for tweet in everything if not has_viewer_state(tweet, viewer_id)]
    state = _viewer_state(viewer_id, sorted({tweet.pk for tweet in unknown})) if unknown else set()
    for tweet in everything:
        item = hydrated[tweet.pk]
        tweet.display_hashtags = item.hashtags
        tweet.display_mentions = item.mentions
    for tweet in unknown:
        set_viewer_state(
            tweet,
            viewer_id,
            liked=(LIKED, tweet.pk) in state,
            bookmarked=(BOOKMARKED, tweet.pk) in state,
            retweeted=(RETWEETED, tweet.pk) in state,
        )
    return tweets


@dataclass(frozen=True, slots=True)
class DisplayRows:
    """A page of rows ready for ``tweets.rendering.render_rows``."""

    rows: list[tuple]  # the page's rows, in display order
    embedded: dict[int, tuple]  # the rows of the tweets they embed that the viewer may see, by id
    hydrated: dict[int, Hydration]  # the hydration of every one of them, by tweet id


_ROW_ID, _ROW_AUTHOR_ID, _ROW_CREATED_AT, _ROW_EDITED_AT, _ROW_QUOTE_OF, _ROW_RETWEET_OF = (
    TWEET_COLUMNS.index(name) for name in ("id", "author_id", "created_at", "edited_at", "quote_of_id", "retweet_of_id")
)
_ROW_AUTHOR_USERNAME = AUTHOR_AT + AUTHOR_COLUMNS.index("username")
_row_quote_of_id = itemgetter(_ROW_QUOTE_OF)


def rows_for_display(
    rows: Iterable[tuple], *, embedded: Mapping[int, tuple], usernames: Mapping[int, str] | None = None
) -> DisplayRows:
    """``attach_display_data`` for typed rows of ``tweets.visibility``'s statements read with
    the viewer's state and with the tweets they embed (``embedded``: the rows ``embedded_tweets``
    gives for them, or a superset; ``usernames``: mentioned users' usernames read with them), as
    ``tweets.visibility.home_rows_with_embedded`` gives them: the embedded rows the page shows
    and the hydration of every row shown (``tweets.hydration``, the same entries, checked
    against the same stamps). Runs no query but the hydration's misses."""
    rows = list(rows)
    retweet_of_ids = {row[_ROW_RETWEET_OF] for row in rows if row[_ROW_RETWEET_OF]}
    quote_of_ids = {row[_ROW_QUOTE_OF] for row in rows if row[_ROW_QUOTE_OF]}
    loaded = _embedded_from(embedded, quote_of_ids | retweet_of_ids, retweet_of_ids, _row_quote_of_id)
    stamps: dict[int, tuple] = {}
    authors: dict[int, str] = {}
    for row in (*rows, *loaded.values()):
        stamps[row[_ROW_ID]] = stamp_of(
            row[_ROW_AUTHOR_ID], row[_ROW_CREATED_AT], row[_ROW_EDITED_AT], row[_ROW_QUOTE_OF], row[_ROW_RETWEET_OF]
        )
        authors[row[_ROW_AUTHOR_ID]] = row[_ROW_AUTHOR_USERNAME]
    return DisplayRows(rows, loaded, hydrate_stamped(stamps, usernames=usernames, authors=authors))
