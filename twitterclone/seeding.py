"""Fills the database with a realistic social network, fast, for development and benchmarks.

The network is deterministic for a given ``seed``: the same users, follows, tweets, replies,
retweets, quotes, likes and hashtags every time (timestamps are relative to now). Follow
targets are drawn from a Zipf-like popularity, so a few accounts have very many followers and
most have few, as on a real network. Rows go in with PostgreSQL's COPY (batched bulk_create
elsewhere); counters are computed afterwards with set-based SQL, so they are exact.
"""

from __future__ import annotations

import bisect
import itertools
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from social.models import Follow
from tweets.models import Hashtag, Like, Mention, Tweet, TweetHashtag

SEED_PASSWORD = "seed-password-123"

WORD_TEXT = (
    "time person year way day thing man world life hand part child eye woman place work week case "
    "point government company number group problem fact good new first last long great little own "
    "other old right big high different small large next early young important few public bad same "
    "able coffee music code python django redis postgres deploy release bug fix feature launch "
    "weekend football movie book travel rain sun city train news today tomorrow idea team game win "
    "lose love hate think know see want "
)
WORDS = tuple(WORD_TEXT.split())
HASHTAGS = [f"topic{i}" for i in range(200)] + ["python", "django", "music", "news", "football", "ai", "travel"]


@dataclass
class SeedStats:
    users: int = 0
    follows: int = 0
    tweets: int = 0
    likes: int = 0
    hashtag_links: int = 0
    mentions: int = 0
    seconds: float = 0.0


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int, stream=None):
        self.label, self.total, self.done = label, max(total, 1), 0
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self._last = 0.0

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self._last > 0.25:
            self._last = now
            fraction = min(self.done / self.total, 1.0)
            bar = "#" * int(fraction * 30)
            rate = self.done / max(now - self.started, 1e-6)
            self.stream.write(f"\r{self.label:<12} [{bar:<30}] {self.done:>10,}/{self.total:,} {rate:>10,.0f}/s")
            self.stream.flush()

    def finish(self) -> None:
        self._last = 0.0
        self.advance(0)
        self.stream.write("\n")


def _copy_rows(model: type[models.Model], fields: list[str], rows: Iterable[tuple], progress: Progress) -> int:
    """Inserts rows (values in ``fields`` order, ids included) with COPY on PostgreSQL, else bulk_create."""
    count = 0
    if connection.vendor == "postgresql":
        columns = [model._meta.get_field(name).column for name in fields]
        sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
                if count % 10000 == 0:
                    progress.advance(10000)
        progress.advance(count % 10000)
        return count
    for batch in _batched(rows, 2000):
        model.objects.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in batch])
        count += len(batch)
        progress.advance(len(batch))
    return count


def _batched(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1


def _reset_sequence(model: type[models.Model]) -> None:
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"  # noqa: S608
        )


def _zipf_sampler(rng: random.Random, population: list[int], exponent: float) -> Callable[[], int]:
    """Draws from ``population`` with weight 1/rank**exponent (rank = position in a shuffled order)."""
    order = population[:]
    rng.shuffle(order)
    cumulative = list(itertools.accumulate(1.0 / (rank**exponent) for rank in range(1, len(order) + 1)))
    total = cumulative[-1]

    def draw() -> int:
        return order[bisect.bisect_left(cumulative, rng.random() * total)]

    return draw


def seed_network(
    *,
    users: int,
    tweets_per_user: int,
    follows_per_user: int,
    likes_per_tweet: float = 1.0,
    seed: int = 1,
    days: int = 30,
    out=None,
) -> SeedStats:
    """Adds ``users`` users with about ``tweets_per_user`` tweets and ``follows_per_user`` follows each
    (skewed), plus replies, retweets, quotes, likes, hashtags and mentions. Existing rows are kept;
    new usernames are ``seed<seed>_<n>``. Returns what was inserted."""
    out = out or sys.stderr
    started = time.monotonic()
    rng = random.Random(seed)
    stats = SeedStats()
    now = timezone.now()
    password = make_password(SEED_PASSWORD)

    # --- users -----------------------------------------------------------------
    first_user = _next_id(User)
    user_ids = list(range(first_user, first_user + users))
    joined = now - timedelta(days=days + 30)
    user_fields = [f.attname for f in User._meta.concrete_fields]
    user_defaults = {f.attname: f.get_default() for f in User._meta.concrete_fields}

    def user_rows():
        for uid in user_ids:
            name = f"seed{seed}_{uid}"
            row = dict(user_defaults)
            row.update(
                id=uid,
                password=password,
                username=name,
                email=f"{name}@example.com",
                display_name=f"Seed {uid}",
                date_joined=joined,
                is_active=True,
            )
            yield tuple(row[f] for f in user_fields)

    with transaction.atomic():
        stats.users = _copy_rows(User, user_fields, user_rows(), progress := Progress("users", users, out))
        progress.finish()
        _reset_sequence(User)

        # --- follows (popularity is Zipf-like: a few accounts get very many followers) -------------
        draw_followee = _zipf_sampler(rng, user_ids, exponent=1.1)
        follow_pairs: set[tuple[int, int]] = set()
        for follower in user_ids:
            wanted = max(1, int(rng.expovariate(1 / follows_per_user))) if follows_per_user else 0
            wanted = min(wanted, users - 1, follows_per_user * 5)
            tries = 0
            mine: set[int] = set()
            while len(mine) < wanted and tries < wanted * 4:
                tries += 1
                followee = draw_followee()
                if followee != follower:
                    mine.add(followee)
            follow_pairs.update((follower, followee) for followee in mine)
        first_follow = _next_id(Follow)
        follow_time = now - timedelta(days=days)
        progress = Progress("follows", len(follow_pairs), out)
        stats.follows = _copy_rows(
            Follow,
            ["id", "follower_id", "followee_id", "created_at"],
            ((first_follow + i, a, b, follow_time) for i, (a, b) in enumerate(sorted(follow_pairs))),
            progress,
        )
        progress.finish()
        _reset_sequence(Follow)
        del follow_pairs

        # --- tweets, in time order so ids grow with created_at -------------------------------------
        total = users * tweets_per_user
        span = days * 86400
        offsets = sorted(rng.random() * span for _ in range(total))
        draw_author = _zipf_sampler(rng, user_ids, exponent=0.6)
        draw_tag = _zipf_sampler(rng, list(range(len(HASHTAGS))), exponent=1.0)
        start = now - timedelta(seconds=span)
        first_tweet = _next_id(Tweet)
        hashtag_ids = _ensure_hashtags()

        tweet_fields = [f.attname for f in Tweet._meta.concrete_fields]
        defaults = {f.attname: f.get_default() for f in Tweet._meta.concrete_fields}
        conversation: list[int] = []  # conversation id of each new tweet, by index
        authors: list[int] = []
        retweeted: set[tuple[int, int]] = set()
        tag_links: list[tuple[int, int, Any]] = []
        mention_links: list[tuple[int, int]] = []

        def tweet_rows():
            for index, offset in enumerate(offsets):
                tweet_id = first_tweet + index
                author = draw_author()
                created = start + timedelta(seconds=offset)
                row = dict(defaults)
                row.update(id=tweet_id, author_id=author, created_at=created, visibility="public")
                kind = rng.random()
                parent_index = rng.randrange(index) if index else None
                words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 18)))
                conversation_id = tweet_id
                if parent_index is not None and kind < 0.05 and (author, first_tweet + parent_index) not in retweeted:
                    retweeted.add((author, first_tweet + parent_index))
                    row.update(text="", retweet_of_id=first_tweet + parent_index)
                else:
                    if parent_index is not None and kind < 0.20:
                        row["reply_to_id"] = first_tweet + parent_index
                        conversation_id = conversation[parent_index]
                    elif parent_index is not None and kind < 0.23:
                        row["quote_of_id"] = first_tweet + parent_index
                    if rng.random() < 0.25:
                        tag_index = draw_tag()
                        words += f" #{HASHTAGS[tag_index]}"
                        tag_links.append((tweet_id, hashtag_ids[tag_index], created))
                    if rng.random() < 0.05:
                        mentioned = rng.choice(user_ids)
                        if mentioned != author:
                            words = f"@seed{seed}_{mentioned} " + words
                            mention_links.append((tweet_id, mentioned))
                    row["text"] = words[:280]
                row["conversation_id"] = conversation_id
                conversation.append(conversation_id)
                authors.append(author)
                yield tuple(row[name] for name in tweet_fields)

        progress = Progress("tweets", total, out)
        stats.tweets = _copy_rows(Tweet, tweet_fields, tweet_rows(), progress)
        progress.finish()
        _reset_sequence(Tweet)

        progress = Progress("hashtags", len(tag_links), out)
        first_link = _next_id(TweetHashtag)
        stats.hashtag_links = _copy_rows(
            TweetHashtag,
            ["id", "tweet_id", "hashtag_id", "created_at"],
            ((first_link + i, *link) for i, link in enumerate(tag_links)),
            progress,
        )
        progress.finish()
        _reset_sequence(TweetHashtag)

        progress = Progress("mentions", len(mention_links), out)
        first_mention = _next_id(Mention)
        stats.mentions = _copy_rows(
            Mention,
            ["id", "tweet_id", "user_id"],
            ((first_mention + i, *link) for i, link in enumerate(sorted(set(mention_links)))),
            progress,
        )
        progress.finish()
        _reset_sequence(Mention)

        # --- likes: popular tweets (Zipf over tweets) by random users ---------------------------------
        like_total = int(total * likes_per_tweet)
        like_pairs: set[tuple[int, int]] = set()
        if total:
            draw_tweet = _zipf_sampler(rng, list(range(total)), exponent=0.8)
            while len(like_pairs) < like_total and len(like_pairs) < users * total:
                like_pairs.add((rng.choice(user_ids), first_tweet + draw_tweet()))
        first_like = _next_id(Like)
        like_time = now
        progress = Progress("likes", len(like_pairs), out)
        stats.likes = _copy_rows(
            Like,
            ["id", "user_id", "tweet_id", "created_at"],
            ((first_like + i, u, t, like_time) for i, (u, t) in enumerate(sorted(like_pairs))),
            progress,
        )
        progress.finish()
        _reset_sequence(Like)

        out.write("counters   recomputing...\n")
        recompute_counters(user_ids=(user_ids[0], user_ids[-1]) if user_ids else None)
    stats.seconds = time.monotonic() - started
    return stats


def _ensure_hashtags() -> list[int]:
    existing = dict(Hashtag.objects.filter(name__in=HASHTAGS).values_list("name", "id"))
    missing = [Hashtag(name=name) for name in HASHTAGS if name not in existing]
    Hashtag.objects.bulk_create(missing, ignore_conflicts=True)
    existing = dict(Hashtag.objects.filter(name__in=HASHTAGS).values_list("name", "id"))
    return [existing[name] for name in HASHTAGS]


def _count(model: type[models.Model], field: str, **filters: Any) -> Coalesce:
    subquery = (
        model.objects.filter(**{field: OuterRef("pk")}, **filters)
        .order_by()
        .values(field)
        .annotate(c=Count("*"))
        .values("c")
    )
    return Coalesce(Subquery(subquery), Value(0))


_PG_COUNTERS = [
    # (table to update, counter column, table counted, grouping column, extra condition)
    ("accounts_user", "followers_count", "social_follow", "followee_id", ""),
    ("accounts_user", "following_count", "social_follow", "follower_id", ""),
    ("accounts_user", "tweets_count", "tweets_tweet", "author_id", ""),  # retweets count, as on Twitter
    ("tweets_tweet", "like_count", "tweets_like", "tweet_id", ""),
    ("tweets_tweet", "retweet_count", "tweets_tweet", "retweet_of_id", "WHERE retweet_of_id IS NOT NULL"),
    ("tweets_tweet", "reply_count", "tweets_tweet", "reply_to_id", "WHERE reply_to_id IS NOT NULL"),
    ("tweets_tweet", "quote_count", "tweets_tweet", "quote_of_id", "WHERE quote_of_id IS NOT NULL"),
]


def _recompute_counters_postgres(user_ids: tuple[int, int] | None) -> None:
    """One grouped aggregate joined to the target per counter: hash aggregates, not per-row subqueries."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        for target, column, source, key, condition in _PG_COUNTERS:
            scope = ""
            if user_ids is not None:
                owner = "id" if target == "accounts_user" else "author_id"
                scope = f" AND t.{owner} BETWEEN {int(user_ids[0])} AND {int(user_ids[1])}"
            cursor.execute(
                f"UPDATE {target} t SET {column} = COALESCE(s.c, 0) "  # noqa: S608 - constant identifiers
                f"FROM {target} t2 LEFT JOIN (SELECT {key} AS k, COUNT(*) AS c FROM {source} {condition} "
                f"GROUP BY {key}) s ON s.k = t2.id WHERE t.id = t2.id AND t.{column} <> COALESCE(s.c, 0){scope}"
            )


def recompute_counters(*, user_ids: tuple[int, int] | None = None) -> None:
    """Recomputes every denormalised counter from the rows, set-based (for seeded data)."""
    if connection.vendor == "postgresql":
        _recompute_counters_postgres(user_ids)
        return
    users = User.objects.all()
    tweets = Tweet.objects.all()
    if user_ids is not None:
        users = users.filter(pk__range=user_ids)
        tweets = tweets.filter(author__id__range=user_ids)
    users.update(
        followers_count=_count(Follow, "followee"),
        following_count=_count(Follow, "follower"),
        tweets_count=_count(Tweet, "author"),
    )
    tweets.update(
        like_count=_count(Like, "tweet"),
        retweet_count=_count(Tweet, "retweet_of"),
        reply_count=_count(Tweet, "reply_to"),
        quote_count=_count(Tweet, "quote_of"),
    )
