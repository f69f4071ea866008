"""Tweet reads. Every read starts from ``Tweet.objects.visible_to(viewer)`` (the one visibility
rule, in tweets/models.py). List selectors return querysets (the views paginate them); a page,
once cut, goes through ``tweets_for_display`` (a fixed number of queries per page), and so do
the single tweets and threads built here. Serializers then run no query."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Count, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from social.selectors import users_with_viewer_state
from twitterclone.errors import NotFound
from twitterclone.pagination import MAX_POSITION

from .display import DisplayRows, attach_display_data
from .display import rows_for_display as _rows_for_display
from .models import Bookmark, Hashtag, Like, Tweet, TweetEdit, TweetHashtag, viewer_id_of
from .visibility import author_tweets, visible_tweets

# The full-text configuration of the GIN index created in migration 0002 (PostgreSQL only);
# the query below must use the very same expression for the index to be used.
logger = logging.getLogger("twitterclone.tweets")

SEARCH_CONFIG = "simple"
MAX_CONTEXT_ANCESTORS = 200
MAX_CONTEXT_DESCENDANTS = 500


def tweets_for_display(
    tweets: Iterable[Tweet],
    viewer,
    *,
    embedded: dict[int, Tweet] | None = None,
    usernames: dict[int, str] | None = None,
) -> list[Tweet]:
    """The tweets (a page, or a queryset evaluated here) with everything
    ``tweets.serializers.TweetSerializer`` needs, in a fixed number of queries whatever their
    number (see ``tweets.display``): the viewer's ``liked``, ``retweeted``, ``bookmarked``,
    hashtags and mentions, and the quoted and retweeted tweets as ``viewer`` may see them
    (``None`` when invisible), one level deep plus the tweet quoted by a retweeted tweet.

    It does not filter: pass tweets that are already ``visible_to(viewer)``, with their
    authors loaded (the querysets of this module select them). ``embedded``: the quoted and
    retweeted tweets when they were read with the page (the home timeline's statement), and
    ``usernames`` the mentioned users' usernames read with it."""
    return attach_display_data(tweets, viewer, embedded=embedded, usernames=usernames)


def rows_for_display(
    rows: Iterable[tuple], *, embedded: dict[int, tuple], usernames: dict[int, str] | None = None
) -> DisplayRows:
    """``tweets_for_display`` for a page read as rows with the viewer's state and the tweets
    they embed (``tweets.feeds.HomePage``), without model instances: what
    ``tweets.rendering.render_rows`` renders (see ``tweets.display.rows_for_display``)."""
    return _rows_for_display(rows, embedded=embedded, usernames=usernames)


def tweet_get_visible(*, tweet_id: int | str, viewer) -> Tweet:
    """The tweet with this id if ``viewer`` may see it, ready for display; else NotFound (404)."""
    try:
        tweet_id = int(tweet_id)
    except (TypeError, ValueError):
        raise NotFound("No such tweet.") from None
    tweet = visible_tweets(viewer_id=viewer_id_of(viewer), ids=[tweet_id]).get(tweet_id)
    if tweet is None:
        raise NotFound("No such tweet.")
    return tweets_for_display([tweet], viewer)[0]


def tweet_replies(*, tweet: Tweet, viewer) -> QuerySet[Tweet]:
    """Visible direct replies to ``tweet`` (the caller checked that the tweet itself is visible)."""
    return Tweet.objects.visible_to(viewer).select_related("author").filter(reply_to_id=tweet.pk)


def tweet_context(*, tweet: Tweet, viewer) -> dict[str, list[Tweet]]:
    """The thread around ``tweet``: ``ancestors`` from the root down to its parent (stopping at
    a deleted or invisible one), and ``descendants``: every visible reply below it, depth
    first in the order they were written, each subtree after its parent.

    Costs a fixed number of queries: the conversation's reply links are read in one query
    (``conversation_id``), then the visible tweets in one display query."""
    conversation_id = tweet.conversation_id or tweet.pk
    links = dict(
        Tweet.objects.filter(Q(conversation_id=conversation_id) | Q(pk=conversation_id))
        .order_by("id")
        .values_list("id", "reply_to_id")[: MAX_CONTEXT_DESCENDANTS * 4]
    )
    ancestor_ids: list[int] = []
    current = links.get(tweet.pk)
    while current is not None and current in links and len(ancestor_ids) < MAX_CONTEXT_ANCESTORS:
        ancestor_ids.append(current)
        current = links[current]
    ancestor_ids.reverse()

    children: dict[int, list[int]] = {}
    for tweet_id, parent_id in links.items():
        if parent_id is not None:
            children.setdefault(parent_id, []).append(tweet_id)
    descendant_ids: list[int] = []
    stack = list(reversed(children.get(tweet.pk, [])))
    while stack and len(descendant_ids) < MAX_CONTEXT_DESCENDANTS:
        current_id = stack.pop()
        descendant_ids.append(current_id)
        stack.extend(reversed(children.get(current_id, [])))

    visible = visible_tweets(viewer_id=viewer_id_of(viewer), ids=ancestor_ids + descendant_ids)
    tweets_for_display(visible.values(), viewer)
    # An invisible ancestor cuts the chain: show only the part of it next to the tweet.
    ancestors: list[Tweet] = []
    for ancestor_id in reversed(ancestor_ids):
        if ancestor_id not in visible:
            break
        ancestors.append(visible[ancestor_id])
    ancestors.reverse()
    # An invisible reply hides its whole subtree (its replies answer what the viewer cannot see).
    descendants: list[Tweet] = []
    hidden_roots: set[int] = set()
    for descendant_id in descendant_ids:
        parent_id = links.get(descendant_id)
        if descendant_id not in visible or parent_id in hidden_roots:
            hidden_roots.add(descendant_id)
            continue
        descendants.append(visible[descendant_id])
    return {"ancestors": ancestors, "descendants": descendants}


def user_tweets(*, author, viewer) -> QuerySet[Tweet]:
    """The author's tweets, replies and retweets that the viewer may see, newest first."""
    return Tweet.objects.visible_to(viewer).select_related("author").filter(author_id=author.pk)


def user_tweets_page(
    *, author_id: int, viewer, position: int | None, reverse: bool, offset: int, limit: int
) -> list[Tweet]:
    """A keyset page of ``user_tweets`` (for ``IdCursorPagination.paginate_keyset``): the ids
    below ``position`` newest first, or above it nearest first (``reverse``), in one constant
    statement (``tweets.visibility.author_tweets``) that also reads the viewer's state."""
    if reverse:
        bound, ascending = (0 if position is None else position), True
    else:
        bound, ascending = (MAX_POSITION if position is None else position - 1), False
    return author_tweets(
        viewer_id=viewer_id_of(viewer),
        author_id=author_id,
        bound=bound,
        ascending=ascending,
        limit=limit,
        offset=offset,
    )


def user_liked_tweets(*, user, viewer) -> QuerySet[Tweet]:
    """Visible tweets liked by ``user``, most recently liked first (paginate on ``-like_id``)."""
    queryset = (
        Tweet.objects.visible_to(viewer)
        .filter(likes__user_id=user.pk)
        .annotate(like_id=Like.objects.filter(user_id=user.pk, tweet_id=OuterRef("pk")).values("id")[:1])
    )
    return queryset.select_related("author")


def bookmarked_tweets(*, user) -> QuerySet[Tweet]:
    """The user's bookmarks that they may still see, most recently bookmarked first
    (paginate on ``-bookmark_id``)."""
    queryset = (
        Tweet.objects.visible_to(user)
        .filter(bookmarks__user_id=user.pk)
        .annotate(bookmark_id=Bookmark.objects.filter(user_id=user.pk, tweet_id=OuterRef("pk")).values("id")[:1])
    )
    return queryset.select_related("author")


def hashtag_tweets(*, tag: str, viewer) -> QuerySet[Tweet]:
    """Visible tweets carrying ``#tag`` (any case), newest first."""
    name = tag.lstrip("#").lower()
    if "\x00" in name:  # no hashtag holds a NUL, and PostgreSQL text cannot be compared with one
        return Tweet.objects.none()
    tweet_ids = TweetHashtag.objects.filter(hashtag__name=name).values("tweet_id")
    return Tweet.objects.visible_to(viewer).select_related("author").filter(pk__in=tweet_ids)


def tweet_search(*, query: str, viewer) -> QuerySet[Tweet]:
    """Visible original tweets (not retweets) containing every word of ``query``, newest first.

    PostgreSQL: full-text search (``plainto_tsquery`` against the GIN index on
    ``to_tsvector('simple', text)``). SQLite: every word as a case-insensitive substring."""
    queryset = Tweet.objects.visible_to(viewer).originals()
    if connection.vendor == "postgresql":
        # The SQL is a constant (the query text is a bound parameter); it must match the index.
        queryset = queryset.filter(
            RawSQL(  # noqa: S611
                f'to_tsvector(\'{SEARCH_CONFIG}\'::regconfig, "tweets_tweet"."text") '
                f"@@ plainto_tsquery('{SEARCH_CONFIG}'::regconfig, %s)",
                (query,),
                output_field=BooleanField(),
            )
        )
    else:
        for word in query.split():
            queryset = queryset.filter(text__icontains=word)
    return queryset.select_related("author")


TRENDS_CACHE_SECONDS = 30


def trends(*, hours: int = 24, limit: int = 10) -> list[dict]:
    """The most used hashtags of the last ``hours`` hours, with the number of tweets using each,
    most used first (ties: alphabetical). Only public, unhidden tweets of active, unsuspended
    authors count, so a trend never reveals what moderation or privacy hides.

    The same for every viewer, so cached for ``TRENDS_CACHE_SECONDS`` (the aggregate reads a
    day of hashtag links); computed directly when the cache is unavailable."""
    key = f"tweets:trends:{hours}:{limit}"
    try:
        cached = cache.get(key)
    except Exception:
        logger.warning("cache unavailable for trends", exc_info=True)
        cached = None
    if cached is not None:
        return cached
    result = _compute_trends(hours=hours, limit=limit)
    try:
        cache.set(key, result, TRENDS_CACHE_SECONDS)
    except Exception:
        logger.warning("cache unavailable for trends", exc_info=True)
    return result


def _compute_trends(*, hours: int, limit: int) -> list[dict]:
    since = timezone.now() - timedelta(hours=hours)
    rows = (
        TweetHashtag.objects.filter(
            created_at__gte=since,
            tweet__is_hidden=False,
            tweet__visibility="public",
            tweet__author__is_active=True,
            tweet__author__is_suspended=False,
        )
        .values("hashtag__name")
        .annotate(tweet_count=Count("tweet_id", distinct=True))
        .order_by("-tweet_count", "hashtag__name")[:limit]
    )
    return [{"name": row["hashtag__name"], "tweet_count": row["tweet_count"]} for row in rows]


def hashtag_exists(*, tag: str) -> bool:
    return Hashtag.objects.filter(name=tag.lstrip("#").lower()).exists()


def tweet_liked_by(*, tweet: Tweet, viewer) -> QuerySet:
    """The active users who liked ``tweet`` (one the viewer can see: check with
    ``tweet_get_visible`` first), each annotated with ``like_id`` (the key to page by, most
    recent first) and the viewer's relationship (``users_with_viewer_state``)."""
    queryset = User.objects.active().filter(likes__tweet_id=tweet.pk).annotate(like_id=F("likes__id"))
    return users_with_viewer_state(queryset, viewer)


def tweet_retweeted_by(*, tweet: Tweet, viewer) -> QuerySet:
    """The active users who retweeted ``tweet`` (visible to the viewer), each annotated with
    ``retweet_id`` (their retweet's id, the key to page by) and the viewer's relationship."""
    queryset = User.objects.active().filter(tweets__retweet_of_id=tweet.pk).annotate(retweet_id=F("tweets__id"))
    return users_with_viewer_state(queryset, viewer)


def tweet_edit_history(*, tweet: Tweet) -> list[TweetEdit]:
    """The earlier versions of ``tweet`` (one the viewer can see), oldest first; each keeps its
    text and when it was written. The current version is the tweet itself."""
    return list(TweetEdit.objects.filter(tweet=tweet).order_by("id"))
