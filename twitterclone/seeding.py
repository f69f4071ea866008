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
    new usernames are ``seed<seed>_<n>``. The whole network is planned in memory first, so every
    counter is written exact with its row and no UPDATE pass is needed. Returns what was inserted."""
    out = out or sys.stderr
    started = time.monotonic()
    rng = random.Random(seed)
    stats = SeedStats()
    now = timezone.now()

    first_user = _next_id(User)
    user_ids = list(range(first_user, first_user + users))
    followers_count = dict.fromkeys(user_ids, 0)
    following_count = dict.fromkeys(user_ids, 0)
    tweets_count = dict.fromkeys(user_ids, 0)

    # --- plan follows (popularity is Zipf-like: a few accounts get very many followers) ---------------
    draw_followee = _zipf_sampler(rng, user_ids, exponent=1.1)
    follow_pairs: list[tuple[int, int]] = []
    for follower in user_ids:
        wanted = max(1, int(rng.expovariate(1 / follows_per_user))) if follows_per_user else 0
        wanted = min(wanted, users - 1, follows_per_user * 5)
        mine: set[int] = set()
        tries = 0
        while len(mine) < wanted and tries < wanted * 4:
            tries += 1
            followee = draw_followee()
            if followee != follower:
                mine.add(followee)
        for followee in sorted(mine):
            follow_pairs.append((follower, followee))
            followers_count[followee] += 1
        following_count[follower] += len(mine)

    # --- plan tweets, in time order so ids grow with created_at -----------------------------------------
    total = users * tweets_per_user
    span = days * 86400
    offsets = sorted(rng.random() * span for _ in range(total))
    draw_author = _zipf_sampler(rng, user_ids, exponent=0.6)
    draw_tag = _zipf_sampler(rng, list(range(len(HASHTAGS))), exponent=1.0)
    start = now - timedelta(seconds=span)
    first_tweet = _next_id(Tweet)
    # Per tweet: (author, created, text, reply_to index, quote_of index, retweet_of index, conversation index)
    plan: list[tuple[int, Any, str, int | None, int | None, int | None, int]] = []
    like_count = [0] * total
    retweet_count = [0] * total
    reply_count = [0] * total
    quote_count = [0] * total
    retweeted: set[tuple[int, int]] = set()
    tag_links: list[tuple[int, int, Any]] = []  # (tweet index, hashtag position, created)
    mention_links: set[tuple[int, int]] = set()
    for index, offset in enumerate(offsets):
        author = draw_author()
        created = start + timedelta(seconds=offset)
        tweets_count[author] += 1
        parent = rng.randrange(index) if index else None
        kind = rng.random()
        if parent is not None and kind < 0.05 and (author, parent) not in retweeted:
            retweeted.add((author, parent))
            retweet_count[parent] += 1
            plan.append((author, created, "", None, None, parent, index))
            continue
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 18)))
        reply_to = quote_of = None
        conversation = index
        if parent is not None and kind < 0.20:
            reply_to, conversation = parent, plan[parent][6]
            reply_count[parent] += 1
        elif parent is not None and kind < 0.23:
            quote_of = parent
            quote_count[parent] += 1
        if rng.random() < 0.25:
            tag = draw_tag()
            words += f" #{HASHTAGS[tag]}"
            tag_links.append((index, tag, created))
        if rng.random() < 0.05:
            mentioned = rng.choice(user_ids)
            if mentioned != author:
                words = f"@seed{seed}_{mentioned} " + words
                mention_links.add((index, mentioned))
        plan.append((author, created, words[:280], reply_to, quote_of, None, conversation))

    # --- plan likes: popular tweets (Zipf over tweets) by random users -----------------------------------
    like_pairs: set[tuple[int, int]] = set()
    if total:
        draw_tweet = _zipf_sampler(rng, list(range(total)), exponent=0.8)
        wanted_likes = min(int(total * likes_per_tweet), users * total)
        while len(like_pairs) < wanted_likes:
            pair = (rng.choice(user_ids), draw_tweet())
            if pair not in like_pairs:
                like_pairs.add(pair)
                like_count[pair[1]] += 1

    # --- write everything -----------------------------------------------------------------------------------
    password = make_password(SEED_PASSWORD)
    joined = now - timedelta(days=days + 30)
    hashtag_ids = _ensure_hashtags()

    def user_rows():
        fields = [f.attname for f in User._meta.concrete_fields]
        defaults = {f.attname: f.get_default() for f in User._meta.concrete_fields}
        for uid in user_ids:
            name = f"seed{seed}_{uid}"
            row = dict(defaults)
            row.update(
                id=uid,
                password=password,
                username=name,
                email=f"{name}@example.com",
                display_name=f"Seed {uid}",
                date_joined=joined,
                is_active=True,
                followers_count=followers_count[uid],
                following_count=following_count[uid],
                tweets_count=tweets_count[uid],
            )
            yield tuple(row[f] for f in fields)

    def tweet_rows():
        fields = [f.attname for f in Tweet._meta.concrete_fields]
        defaults = {f.attname: f.get_default() for f in Tweet._meta.concrete_fields}
        for index, (author, created, text, reply_to, quote_of, retweet_of, conversation) in enumerate(plan):
            row = dict(defaults)
            row.update(
                id=first_tweet + index,
                author_id=author,
                text=text,
                visibility="public",
                created_at=created,
                reply_to_id=None if reply_to is None else first_tweet + reply_to,
                quote_of_id=None if quote_of is None else first_tweet + quote_of,
                retweet_of_id=None if retweet_of is None else first_tweet + retweet_of,
                conversation_id=first_tweet + conversation,
                like_count=like_count[index],
                retweet_count=retweet_count[index],
                reply_count=reply_count[index],
                quote_count=quote_count[index],
            )
            yield tuple(row[f] for f in fields)

    follow_time = now - timedelta(days=days)
    first_follow, first_link, first_mention, first_like = (
        _next_id(Follow),
        _next_id(TweetHashtag),
        _next_id(Mention),
        _next_id(Like),
    )
    steps = [
        ("users", User, [f.attname for f in User._meta.concrete_fields], user_rows(), users),
        (
            "follows",
            Follow,
            ["id", "follower_id", "followee_id", "created_at"],
            ((first_follow + i, a, b, follow_time) for i, (a, b) in enumerate(follow_pairs)),
            len(follow_pairs),
        ),
        ("tweets", Tweet, [f.attname for f in Tweet._meta.concrete_fields], tweet_rows(), total),
        (
            "hashtags",
            TweetHashtag,
            ["id", "tweet_id", "hashtag_id", "created_at"],
            (
                (first_link + i, first_tweet + t, hashtag_ids[tag], created)
                for i, (t, tag, created) in enumerate(tag_links)
            ),
            len(tag_links),
        ),
        (
            "mentions",
            Mention,
            ["id", "tweet_id", "user_id"],
            ((first_mention + i, first_tweet + t, u) for i, (t, u) in enumerate(sorted(mention_links))),
            len(mention_links),
        ),
        (
            "likes",
            Like,
            ["id", "user_id", "tweet_id", "created_at"],
            ((first_like + i, u, first_tweet + t, now) for i, (u, t) in enumerate(sorted(like_pairs))),
            len(like_pairs),
        ),
    ]
    counts = {}
    with transaction.atomic():
        for label, model, fields, rows, expected in steps:
            progress = Progress(label, expected, out)
            counts[label] = _copy_rows(model, fields, rows, progress)
            progress.finish()
            _reset_sequence(model)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    stats.users, stats.follows, stats.tweets = counts["users"], counts["follows"], counts["tweets"]
    stats.hashtag_links, stats.mentions, stats.likes = counts["hashtags"], counts["mentions"], counts["likes"]
    stats.seconds = time.monotonic() - started
    return stats


def _ensure_hashtags() -> list[int]:
    existing = dict(Hashtag.objects.filter(name__in=HASHTAGS).values_list("name", "id"))
    missing = [Hashtag(name=name) for name in HASHTAGS if name not in existing]
    Hashtag.objects.bulk_create(missing, ignore_conflicts=True)
    existing = dict(Hashtag.objects.filter(name__in=HASHTAGS).values_list("name", "id"))
    return [existing[name] for name in HASHTAGS]
