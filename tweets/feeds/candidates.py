"""Step 1 of a home page: candidate ids (with author ids), newest first, from PostgreSQL (the
pull query) or from the viewer's Redis feed merged with the pull authors' tweets."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Q

from ..models import Tweet
from .store import (
    SENTINEL,
    Candidate,
    all_key,
    feed_key,
    feed_size,
    feed_ttl_seconds,
    feed_wire,
    member,
    ok_key,
    parse_member,
    pull_authors_key,
    redis_client,
)


def pull_candidates(
    *,
    user_id: int,
    before: int | None = None,
    after: int | None = None,
    limit: int,
    author_ids: Iterable[int] | None = None,
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
    *, user_id: int, before: int | None, after: int | None, limit: int, author_ids: Iterable[int] | None
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


def ensure_feed(user_id: int) -> None:
    """Builds the user's feed from PostgreSQL unless it is marked built.

    The key is (re)created with its sentinel *before* reading PostgreSQL, so a fan-out that
    runs while we read (for a tweet committed after our snapshot) finds it and adds to it."""
    client = redis_client()
    if client.exists(ok_key(user_id)):
        return
    key = feed_key(user_id)
    size, ttl = feed_size(), feed_ttl_seconds()
    pipe = client.pipeline(transaction=True)
    pipe.delete(key)
    pipe.zadd(key, {SENTINEL: -1})
    pipe.expire(key, ttl + 60)
    pipe.execute()
    entries = pull_candidates(user_id=user_id, limit=size)
    pipe = client.pipeline(transaction=True)
    if entries:
        pipe.zadd(key, {member(entry.id, entry.author_id): entry.id for entry in entries})
        pipe.zremrangebyrank(key, 1, -(size + 1))
    if len(entries) < size:
        pipe.set(all_key(user_id), "1", ex=ttl)
    else:
        pipe.delete(all_key(user_id))
    pipe.set(ok_key(user_id), "1", ex=ttl)
    pipe.execute()


def redis_candidates(*, user_id: int, before: int | None, limit: int) -> list[Candidate] | None:
    """The newest ``limit`` candidates below ``before`` from the feed merged with the pull
    authors' tweets, or None when the feed does not reach that far (then PostgreSQL must
    answer). Builds the feed first if it is missing."""
    upper = f"({before}" if before is not None else "+inf"
    for attempt in range(2):
        # One round trip: whether the feed is built, its entries, the pull authors, whether it
        # holds everything. A feed not built yet is built, then read again.
        built, members, pull_authors, holds_all = feed_wire().execute(
            ("EXISTS", ok_key(user_id)),
            ("ZREVRANGEBYSCORE", feed_key(user_id), upper, "(0", "LIMIT", 0, limit),
            ("SMEMBERS", pull_authors_key()),
            ("EXISTS", all_key(user_id)),
        )
        if built or attempt:
            break
        ensure_feed(user_id)
    if len(members) < limit and not holds_all:
        return None  # below the feed's floor: older entries were trimmed
    entries = [parse_member(value) for value in members]
    if not pull_authors:
        return entries  # newest first already: scored by tweet id, one member per tweet
    candidates = {entry.id: entry for entry in entries}
    for entry in pull_candidates(
        user_id=user_id, before=before, limit=limit, author_ids=[int(author) for author in pull_authors]
    ):
        candidates.setdefault(entry.id, entry)
    return sorted(candidates.values(), key=lambda entry: entry.id, reverse=True)[:limit]
