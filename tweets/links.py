"""What a tweet's text links to: its hashtags and mentions (for ``tweets.services``), and the
id of a new tweet taken with its author's counter (one round trip fewer per post)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from accounts.models import User
from notifications.services import notification_create

from .models import Hashtag, Mention, Tweet, TweetHashtag


def count_post_and_take_id(author_id: int) -> int | None:
    """Adds one to the author's ``tweets_count`` and returns a new id from the tweets' sequence,
    in one statement (PostgreSQL): the tweet can then be inserted with its ``conversation_id``
    already set to its own id, instead of updated after the insert. None elsewhere (SQLite), or
    when the author's row is gone (the insert then fails on its foreign key, as before)."""
    if connection.vendor != "postgresql":
        return None
    users, tweets = User._meta.db_table, Tweet._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {users} SET tweets_count = tweets_count + 1 WHERE id = %s "  # noqa: S608 - table names only
            f"RETURNING nextval(pg_get_serial_sequence('{tweets}', 'id'))",
            [author_id],
        )
        row = cursor.fetchone()
    return row[0] if row is not None else None


def _link_existing_hashtags(tweet: Tweet, names: list[str]) -> int:
    """Links the tweet to those of these hashtags that exist (one statement), in the order of
    ``names`` (the links' ids, hence the order the tweet shows them); returns how many links it
    made."""
    placeholders = ", ".join(["%s"] * len(names))
    order = " ".join(["WHEN %s THEN %s"] * len(names))
    positions = [value for index, name in enumerate(names) for value in (name, index)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TweetHashtag._meta.db_table} (tweet_id, hashtag_id, created_at) "  # noqa: S608 - table names only
            f"SELECT %s, tag.id, %s FROM {Hashtag._meta.db_table} tag WHERE tag.name IN ({placeholders}) "
            f"ORDER BY CASE tag.name {order} END "
            "ON CONFLICT DO NOTHING",
            [tweet.pk, connection.ops.adapt_datetimefield_value(timezone.now()), *names, *positions],
        )
        return cursor.rowcount


def link_hashtags(tweet: Tweet, names: Iterable[str]) -> bool:
    """Links the tweet to its hashtags, creating those that do not exist yet: one statement
    when they all exist (the usual case), three otherwise. Returns True when the links follow
    the order of ``names`` (always in the one-statement case: a new tweet then shows them in
    that order); False when some had to be created (those are linked after the others)."""
    names = list(names)
    if not names or _link_existing_hashtags(tweet, names) == len(names):
        return True
    Hashtag.objects.bulk_create([Hashtag(name=name) for name in names], ignore_conflicts=True)
    _link_existing_hashtags(tweet, names)  # the new ones (or made meanwhile by another post)
    return False


def mentionable_users(author: User, usernames: Iterable[str]) -> list[User]:
    """Active, unsuspended users with these usernames who neither block nor are blocked by
    the author: a mention of anyone else is plain text (not linked, nobody notified)."""
    from social.models import Block

    usernames = list(usernames)
    if not usernames:
        return []
    blocked_either_way = set(Block.objects.filter(blocker_id=author.pk).values_list("blocked_id", flat=True)) | set(
        Block.objects.filter(blocked_id=author.pk).values_list("blocker_id", flat=True)
    )
    users = User.objects.active().filter(username__lower__in=usernames)
    return [user for user in users if user.pk not in blocked_either_way]


def link_mentions(tweet: Tweet, users: list[User], already_notified: frozenset[int] = frozenset()) -> None:
    """Links mentioned users (in the order of ``users``) and notifies each one who may see the
    tweet, except those already notified of it as the replied-to or quoted author (one
    notification per tweet, as on Twitter)."""
    if not users:
        return
    Mention.objects.bulk_create([Mention(tweet=tweet, user=user) for user in users], ignore_conflicts=True)
    for user in users:
        if user.pk in already_notified:
            continue
        if user.pk != tweet.author_id and Tweet.objects.visible_to(user).filter(pk=tweet.pk).exists():
            notification_create(recipient_id=user.pk, actor_id=tweet.author_id, type="mention", tweet_id=tweet.pk)
