"""Loading what a page of tweets needs to be rendered, in a fixed number of small queries.

``attach_display_data(tweets, viewer)`` is the engine behind ``TweetQuerySet.for_display`` and
``tweets.selectors.tweets_for_display``. For a page of any size it runs at most five queries:

1. the quoted and retweeted tweets, through ``visible_to(viewer)`` (an invisible one stays
   ``None``), with their authors;
2. the tweets quoted by those retweeted tweets (only when there are some);
3. the hashtags of every tweet on the page and of every tweet embedded in it;
4. their mentions;
5. the viewer's likes, bookmarks and retweets among them (one UNION query).

It sets on each tweet: ``display_quote_of``, ``display_retweet_of`` (Tweet or None),
``display_hashtags`` (names), ``display_mentions`` ({id, username} dicts) and, for an
authenticated viewer, ``viewer_liked``, ``viewer_retweeted``, ``viewer_bookmarked``. These
are plain attributes: the queries are simple ``IN`` lists, much cheaper to build and run than
nested prefetches with per-row subqueries (measured: docs/timelines.md); 3 to 5 are plain SQL.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from accounts.models import User

from .models import Bookmark, Hashtag, Like, Mention, Tweet, TweetHashtag, viewer_id_of

LIKED, BOOKMARKED, RETWEETED = 1, 2, 3


def _load_visible(ids: set[int], viewer) -> dict[int, Tweet]:
    if not ids:
        return {}
    # Quoted and retweeted tweets are never retweets themselves (the services resolve a
    # retweet to its original), hence retweets=False: the same rule, a simpler query.
    queryset = Tweet.objects.visible_to(viewer, retweets=False).filter(pk__in=ids).select_related("author")
    return {tweet.pk: tweet for tweet in queryset}


def attach_display_data(tweets: Iterable[Tweet], viewer) -> None:
    """Sets the display attributes (see the module docstring) on ``tweets`` and on the tweets
    they embed. Tweets must have their author loaded (``select_related("author")``) for the
    page to cost no more than these queries."""
    tweets = [tweet for tweet in tweets if tweet is not None]
    if not tweets:
        return
    # 1-2: referenced tweets, one level (quote, retweet), then the quote of a retweeted tweet.
    first_level_ids = {tweet.quote_of_id for tweet in tweets if tweet.quote_of_id} | {
        tweet.retweet_of_id for tweet in tweets if tweet.retweet_of_id
    }
    first_level = _load_visible(first_level_ids, viewer)
    retweeted = [first_level[tweet.retweet_of_id] for tweet in tweets if tweet.retweet_of_id in first_level]
    second_level_ids = {original.quote_of_id for original in retweeted if original.quote_of_id} - set(first_level)
    loaded = {**first_level, **_load_visible(second_level_ids, viewer)}
    for tweet in tweets:
        tweet.display_quote_of = loaded.get(tweet.quote_of_id) if tweet.quote_of_id else None
        tweet.display_retweet_of = loaded.get(tweet.retweet_of_id) if tweet.retweet_of_id else None
    for original in retweeted:
        original.display_quote_of = loaded.get(original.quote_of_id) if original.quote_of_id else None
        original.display_retweet_of = None

    everything = {id(tweet): tweet for tweet in [*tweets, *loaded.values()]}.values()
    all_ids = {tweet.pk for tweet in everything}

    # 3-5: hashtags, mentions and the viewer's own state, as plain SQL over an id list:
    # these statements are built in microseconds, where the ORM takes milliseconds.
    id_list = sorted(all_ids)
    placeholders = ", ".join(["%s"] * len(id_list))
    hashtags: dict[int, list[str]] = {}
    mentions: dict[int, list[dict]] = {}
    state: set[tuple[int, int]] = set()
    viewer_id = viewer_id_of(viewer)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT link.tweet_id, tag.name FROM {TweetHashtag._meta.db_table} link "  # noqa: S608 - table names only
            f"JOIN {Hashtag._meta.db_table} tag ON tag.id = link.hashtag_id "
            f"WHERE link.tweet_id IN ({placeholders}) ORDER BY link.id",
            id_list,
        )
        for tweet_id, name in cursor.fetchall():
            hashtags.setdefault(tweet_id, []).append(name)
        cursor.execute(
            f"SELECT mention.tweet_id, mention.user_id, account.username FROM {Mention._meta.db_table} mention "  # noqa: S608
            f"JOIN {User._meta.db_table} account ON account.id = mention.user_id "
            f"WHERE mention.tweet_id IN ({placeholders}) ORDER BY mention.id",
            id_list,
        )
        for tweet_id, user_id, username in cursor.fetchall():
            mentions.setdefault(tweet_id, []).append({"id": user_id, "username": username})
        if viewer_id is not None:
            cursor.execute(
                f"SELECT {LIKED}, tweet_id FROM {Like._meta.db_table} "  # noqa: S608 - constants and table names only
                f"WHERE user_id = %s AND tweet_id IN ({placeholders}) "
                f"UNION ALL SELECT {BOOKMARKED}, tweet_id FROM {Bookmark._meta.db_table} "
                f"WHERE user_id = %s AND tweet_id IN ({placeholders}) "
                f"UNION ALL SELECT {RETWEETED}, retweet_of_id FROM {Tweet._meta.db_table} "
                f"WHERE author_id = %s AND retweet_of_id IN ({placeholders})",
                [viewer_id, *id_list] * 3,
            )
            state = {(kind, tweet_id) for kind, tweet_id in cursor.fetchall()}

    for tweet in everything:
        tweet.display_hashtags = hashtags.get(tweet.pk, [])
        tweet.display_mentions = mentions.get(tweet.pk, [])
        if viewer_id is not None:
            tweet.viewer_liked = (LIKED, tweet.pk) in state
            tweet.viewer_bookmarked = (BOOKMARKED, tweet.pk) in state
            tweet.viewer_retweeted = (RETWEETED, tweet.pk) in state
