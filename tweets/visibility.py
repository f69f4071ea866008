"""The visibility rule as constant SQL statements over an id array, for the pages that are
built from ids (the home timeline, the tweets embedded in a page).

These statements say exactly what ``Tweet.objects.visible_to(viewer)`` says
(``tweets.models._visible_q``; ``tests/test_visibility.py`` checks both against the same
cases): a tweet is visible to its author always, and to anyone else when it is not hidden, its
author is active and not suspended, it is public or the viewer follows its author, and its
author does not block the viewer; a retweet also needs its original to be visible. An
anonymous viewer is a NULL viewer id: every comparison with it is false, which leaves "not
hidden, active author, public".

Each statement is a constant string (the ids are one bound array: ``= ANY(%s::bigint[])`` on
PostgreSQL, ``json_each`` on SQLite), so nothing is built per request and PostgreSQL sees the
same statement every time; it is converted once to the placeholders PostgreSQL takes
(``twitterclone.db.Statement``), and its id arrays are sent as the text of an array literal,
which psycopg sends as it is (a list of ints goes through psycopg's Python list dumper).
A row holds the tweet, its author and the viewer's state, so the page needs nothing else from
the database. The home timeline's rows are rendered as they are (``home_rows_with_embedded``);
the other functions give model instances, what ``from_db`` builds, without running
``Model.__init__`` (``tweets_from_rows``, ``twitterclone.rows``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from django.db import connection
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from twitterclone.db import Statement, statement_cursor
from twitterclone.rows import filled_directly, instance_from_row

from .models import Tweet

# Columns of a tweet row and of its author, in this order, in every statement below.
TWEET_COLUMNS = (
    "id",
    "author_id",
    "text",
    "visibility",
    "reply_to_id",
    "conversation_id",
    "quote_of_id",
    "retweet_of_id",
    "created_at",
    "edited_at",
    "like_count",
    "retweet_count",
    "reply_count",
    "quote_count",
    "is_hidden",
    "hidden_at",
)
# ``from_db`` takes the loaded values in the model's field order: keep these in that order.
AUTHOR_COLUMNS = tuple(
    field.attname
    for field in User._meta.concrete_fields
    if field.attname in {"id", "username", "display_name", "avatar", "is_active", "is_suspended"}
)
assert tuple(field.attname for field in Tweet._meta.concrete_fields) == TWEET_COLUMNS, "keep the model's order"
# The viewer's own state for each row (liked, bookmarked, retweeted), so that the page needs no
# query for it (``tweets.display`` reads it from here): index probes on the unique constraints.
# False for an anonymous viewer (NULL matches nothing).
VIEWER_STATE_COLUMNS = (
    "EXISTS (SELECT 1 FROM tweets_like vl WHERE vl.user_id = %(viewer)s AND vl.tweet_id = t.id)",
    "EXISTS (SELECT 1 FROM tweets_bookmark vb WHERE vb.user_id = %(viewer)s AND vb.tweet_id = t.id)",
    "EXISTS (SELECT 1 FROM tweets_tweet vr WHERE vr.author_id = %(viewer)s AND vr.retweet_of_id = t.id)",
)
# The same state for statements whose rows are among the ids of the array %(ids)s ("home",
# "visible"): each a hashed subplan of one index scan over the page's ids instead of one probe
# per row (63 probes for a home page of 21 rows: about a fifth of the statement's PostgreSQL
# CPU; ``docs/timelines.md``).
_STATE_IN_IDS = (
    "t.id IN (SELECT vl.tweet_id FROM tweets_like vl WHERE vl.user_id = %(viewer)s AND {ids})",
    "t.id IN (SELECT vb.tweet_id FROM tweets_bookmark vb WHERE vb.user_id = %(viewer)s AND {ids})",
    "t.id IN (SELECT vr.retweet_of_id FROM tweets_tweet vr WHERE vr.author_id = %(viewer)s AND {ids})",
)
_STATE_IN_IDS_COLUMNS = ("vl.tweet_id", "vb.tweet_id", "vr.retweet_of_id")


def _select(*, in_ids: bool = False) -> str:
    """The columns of a row: the tweet's, its author's, the viewer's state (``in_ids``: the
    rows are among the ids of %(ids)s, so the state is read for those ids at once)."""
    state = VIEWER_STATE_COLUMNS
    if in_ids:
        state = tuple(
            column.format(ids=_ids_clause(name, "ids"))
            for column, name in zip(_STATE_IN_IDS, _STATE_IN_IDS_COLUMNS, strict=True)
        )
    return ", ".join([*(f"t.{name}" for name in TWEET_COLUMNS), *(f"a.{name}" for name in AUTHOR_COLUMNS), *state])


# A row of these statements: the tweet's columns, its author's from AUTHOR_AT, and the viewer's
# state (liked, bookmarked, retweeted) from STATE_AT.
AUTHOR_AT = len(TWEET_COLUMNS)
ROW_ID = TWEET_COLUMNS.index("id")
STATE_AT = AUTHOR_AT + len(AUTHOR_COLUMNS)

_AUTHOR_FIELD = Tweet._meta.get_field("author")
_DATETIMES = {TWEET_COLUMNS.index("created_at"), TWEET_COLUMNS.index("edited_at"), TWEET_COLUMNS.index("hidden_at")}
_BOOLEANS = {TWEET_COLUMNS.index("is_hidden")}
_AUTHOR_BOOLEANS = {AUTHOR_COLUMNS.index("is_active"), AUTHOR_COLUMNS.index("is_suspended")}

# %(viewer)s may be NULL (anonymous). "v follows x" / "x blocks v", as correlated subqueries.
_FOLLOWS = "EXISTS (SELECT 1 FROM social_follow f WHERE f.follower_id = %(viewer)s AND f.followee_id = {author})"
_BLOCKS_VIEWER = "EXISTS (SELECT 1 FROM social_block b WHERE b.blocker_id = {author} AND b.blocked_id = %(viewer)s)"
_MUTED = "EXISTS (SELECT 1 FROM social_mute m WHERE m.muter_id = %(viewer)s AND m.muted_id = {author})"


def _rule(tweet: str, author: str) -> str:
    """The rule for one tweet row (alias ``tweet``, its author joined as ``author``). The home
    statement writes the same rule out in its own form (see there)."""
    audience = f"AND ({tweet}.visibility = 'public' OR {_FOLLOWS.format(author=f'{tweet}.author_id')}) "
    return (
        f"({tweet}.author_id = %(viewer)s OR (NOT {tweet}.is_hidden AND {author}.is_active "
        f"AND NOT {author}.is_suspended {audience}"
        f"AND NOT {_BLOCKS_VIEWER.format(author=f'{tweet}.author_id')}))"
    )


def _ids_clause(column: str, name: str) -> str:
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%({name})s::bigint[])"
    return f"{column} IN (SELECT value FROM json_each(%({name})s))"  # noqa: S608 - constant names only


def _ids_values(name: str) -> str:
    """A SELECT of the ids in the array parameter ``name``."""
    if connection.vendor == "postgresql":
        return f"SELECT unnest(%({name})s::bigint[])"
    return f"SELECT value FROM json_each(%({name})s)"  # noqa: S608 - constant names only


def _ids_param(ids: Iterable[int]) -> str:
    """The ids as the array parameter of the statements: on PostgreSQL the text of an array
    literal (``{1,2,3}``, cast to ``bigint[]`` in the statement), on SQLite a JSON array."""
    text = ",".join([str(int(pk)) for pk in ids])
    return f"{{{text}}}" if connection.vendor == "postgresql" else f"[{text}]"


# The tables of every statement: a tweet, its author, and the tweet it retweets with its author.
_FROM = (
    "FROM tweets_tweet t JOIN accounts_user a ON a.id = t.author_id "
    "LEFT JOIN tweets_tweet o ON o.id = t.retweet_of_id LEFT JOIN accounts_user oa ON oa.id = o.author_id"
)


def _home_where() -> str:
    """Candidates of a home timeline: by the viewer, or by someone they follow (which implies
    "public or followed"), not by nor a retweet of someone they mute.

    "by the viewer, or (followed, the rule and not muted)", written as three conjunctions "by
    the viewer or ..." (the same by distributivity; the rule's own "author is the viewer" is
    implied): the parts on the tweet alone are then checked once at its index scan and only
    the author's at the join (as one OR over both tables PostgreSQL checked the tweet's part at
    both, twice the subplans per row). "The author does not block the viewer and is not muted
    by them" is one ``NOT IN`` over the viewer's blockers and muted users (both columns NOT
    NULL, so ``NOT IN`` is ``NOT EXISTS``): one hashed subplan read once, not two probes per
    row."""
    mine = "t.author_id = %(viewer)s"
    followed = _FOLLOWS.format(author="t.author_id")
    hidden_authors = (
        "SELECT b.blocker_id FROM social_block b WHERE b.blocked_id = %(viewer)s "
        "UNION ALL SELECT m.muted_id FROM social_mute m WHERE m.muter_id = %(viewer)s"
    )
    return (
        f"{_ids_clause('t.id', 'ids')} AND ({mine} OR {followed}) "
        f"AND ({mine} OR (NOT t.is_hidden AND t.author_id NOT IN ({hidden_authors}))) "
        f"AND ({mine} OR (a.is_active AND NOT a.is_suspended)) "
        f"AND (t.retweet_of_id IS NULL OR ({_rule('o', 'oa')} AND NOT {_MUTED.format(author='o.author_id')}))"
    )


_STATEMENTS: dict[tuple[str, str], Statement] = {}


def _statement(kind: str) -> Statement:
    """The statement ``kind`` for this database, built once per process."""
    key = (kind, connection.vendor)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = Statement(_home_embedded() if kind == "home_embedded" else _sql(kind))
    return _STATEMENTS[key]


def _sql(kind: str) -> str:
    """The text of the statement ``kind`` (other than ``home_embedded``) for this database."""
    original = _rule("o", "oa")
    if kind == "home":
        where = _home_where()
    elif kind == "visible":
        where = f"{_ids_clause('t.id', 'ids')} AND {_rule('t', 'a')} AND (t.retweet_of_id IS NULL OR {original})"
    elif kind in ("author", "author_asc"):
        # One author's tweets and retweets, a keyset page (the index on author and id).
        bound, order = (">", "ASC") if kind == "author_asc" else ("<=", "DESC")
        where = (
            f"t.author_id = %(author)s AND t.id {bound} %(bound)s AND {_rule('t', 'a')} "
            f"AND (t.retweet_of_id IS NULL OR {original}) "
            f"ORDER BY t.id {order} LIMIT %(limit)s OFFSET %(offset)s"
        )
    else:  # "embedded": quoted and retweeted tweets (never retweets themselves), and the
        # tweets quoted by the tweets in %(via)s (the retweeted ones), in one statement
        # One id list (not "id = ANY(...) OR id IN (...)": an OR there turns the primary-key
        # lookups into a scan of the whole table).
        via = _ids_clause("r.id", "via")
        wanted = f"{_ids_values('ids')} UNION ALL SELECT r.quote_of_id FROM tweets_tweet r WHERE {via}"  # noqa: S608
        where = f"t.id IN ({wanted}) AND t.retweet_of_id IS NULL AND {_rule('t', 'a')}"
    return f"SELECT {_select(in_ids=kind in ('home', 'visible'))} {_FROM} WHERE {where}"


_WIDTH = len(TWEET_COLUMNS) + len(AUTHOR_COLUMNS) + len(VIEWER_STATE_COLUMNS)


def _home_embedded() -> str:
    """The home statement and the embedded statement of its rows in one round trip: the home
    rows (first column 0) and, for the tweets they quote or retweet and the tweets quoted by
    the retweeted ones, the rows ``embedded`` gives for those ids (first column 1). The
    embedded part is the "embedded" statement with its two id lists read from the home rows:
    the home part carries, in a last column of its own, the quote of the tweet a row retweets
    (read by its join to that tweet, so the retweeted tweets are not looked up again)."""
    columns = [f"c{index}" for index in range(_WIDTH)]
    quote_of, retweet_of = (columns[TWEET_COLUMNS.index(name)] for name in ("quote_of_id", "retweet_of_id"))
    retweeted_quote_of = f"c{_WIDTH}"
    postgres = connection.vendor == "postgresql"
    materialized = "MATERIALIZED " if postgres else ""

    def among(column: str, ids: str) -> str:
        # On PostgreSQL one index scan over the array of those ids, not a hashed list and an
        # index probe per id (the same rows; about 40 us less of the statement's CPU).
        return f"{column} = ANY(ARRAY({ids}))" if postgres else f"{column} IN ({ids})"

    # The ids of the embedded part, read once for it and for the mentions (a CTE of its own:
    # written out in both, PostgreSQL read them twice, about a tenth of the statement's CPU).
    # Without the NULLs (most rows quote and retweet nothing), which match nothing anyway.
    wanted = " UNION ALL ".join(
        f"SELECT {column} FROM home WHERE {column} IS NOT NULL"  # noqa: S608 - constants only
        for column in (quote_of, retweet_of, retweeted_quote_of)
    )
    home = f"SELECT {_select(in_ids=True)}, o.quote_of_id {_FROM} WHERE {_home_where()}"
    # Rows 2: (mentioned user id, username) for the mentions of every tweet read here, so that
    # hydration finds the current usernames of mentioned users without a query of its own.
    # (In the columns of the tweet's id and text, whose types they share.)
    blanks = ", ".join(["NULL"] * (_WIDTH - 3))
    return (
        f"WITH home ({', '.join(columns)}, {retweeted_quote_of}) AS {materialized}({home}), "  # noqa: S608 - constants only
        f"wanted (id) AS {materialized}({wanted}) "
        f"SELECT 0, {', '.join(columns)} FROM home UNION ALL "
        f"SELECT 1, {_select()} {_FROM} "
        f"WHERE {among('t.id', 'SELECT id FROM wanted')} AND t.retweet_of_id IS NULL AND {_rule('t', 'a')} UNION ALL "
        f"SELECT 2, m.user_id, NULL, u.username, {blanks} "
        "FROM tweets_mention m JOIN accounts_user u ON u.id = m.user_id "
        f"WHERE {among('m.tweet_id', f'SELECT {columns[0]} FROM home UNION ALL SELECT id FROM wanted')}"  # noqa: S608 - constants only
    )


def _aware(value):
    # PostgreSQL returns aware datetimes; SQLite's raw cursor returns text or naive values.
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value
    parsed = parse_datetime(value) if isinstance(value, str) else value
    return timezone.make_aware(parsed, UTC) if timezone.is_naive(parsed) else parsed


def typed_rows(rows: Sequence[tuple]) -> Sequence[tuple]:
    """The rows of these statements with the types PostgreSQL gives (aware datetimes, booleans):
    SQLite's raw cursor gives text or naive datetimes and integers for booleans."""
    return rows if connection.vendor == "postgresql" else [_typed(row) for row in rows]


def _typed(row: tuple) -> tuple:
    values = list(row)
    for index in _DATETIMES:
        values[index] = _aware(values[index])
    for index in _BOOLEANS:
        values[index] = bool(values[index])
    for index in _AUTHOR_BOOLEANS:
        values[AUTHOR_AT + index] = bool(values[AUTHOR_AT + index])
    return tuple(values)


def tweets_from_rows(rows: Sequence[tuple], viewer_id: int | None) -> dict[int, Tweet]:
    """Tweet instances (by id, in row order) with their authors attached and ``viewer_id``'s
    state set, from typed rows of these statements (``typed_rows``): the instances ``from_db``
    builds, without ``Model.__init__`` (``twitterclone.rows``)."""
    if filled_directly(Tweet):
        return _typed_rows_to_tweets(rows, viewer_id)
    tweets: dict[int, Tweet] = {}
    authors: dict[int, User] = {}
    for row in rows:
        tweet = instance_from_row(Tweet, "default", TWEET_COLUMNS, row[:AUTHOR_AT])
        author_id = row[AUTHOR_AT]
        author = authors.get(author_id)
        if author is None:
            author = authors[author_id] = instance_from_row(User, "default", AUTHOR_COLUMNS, row[AUTHOR_AT:STATE_AT])
        _AUTHOR_FIELD.set_cached_value(tweet, author)  # what ``tweet.author = author`` does (author_id is set)
        if viewer_id is not None:
            liked, bookmarked, retweeted = row[STATE_AT:]
            set_viewer_state(
                tweet, viewer_id, liked=bool(liked), bookmarked=bool(bookmarked), retweeted=bool(retweeted)
            )
        tweets[tweet.pk] = tweet
    return tweets


def _typed_rows_to_tweets(rows: Sequence[tuple], viewer_id: int | None) -> dict[int, Tweet]:
    """``tweets_from_rows`` when ``instance_from_row`` would fill tweets directly: the same
    instances (``__dict__``, ``_state``, the author cached, the viewer's state) built inline,
    about a third cheaper for a page (no call per row; ``test_visibility_sql`` compares them
    with ``from_db``'s)."""
    tweets: dict[int, Tweet] = {}
    authors: dict[int, User] = {}
    cache_name = _AUTHOR_FIELD.cache_name
    new = Tweet.__new__
    for row in rows:
        author_id = row[AUTHOR_AT]
        author = authors.get(author_id)
        if author is None:
            author = authors[author_id] = instance_from_row(User, "default", AUTHOR_COLUMNS, row[AUTHOR_AT:STATE_AT])
        tweet = new(Tweet)
        state = ModelState()
        state.adding, state.db, state.fields_cache = False, "default", {cache_name: author}
        fields = tweet.__dict__
        fields["_state"] = state
        fields.update(zip(TWEET_COLUMNS, row, strict=False))  # the first columns are the tweet's
        if viewer_id is not None:
            liked, bookmarked, retweeted = row[STATE_AT:]
            fields["viewer_liked"] = bool(liked)
            fields["viewer_bookmarked"] = bool(bookmarked)
            fields["viewer_retweeted"] = bool(retweeted)
            fields["viewer_state_of"] = viewer_id
        tweets[fields["id"]] = tweet
    return tweets


def set_viewer_state(tweet: Tweet, viewer_id: int, *, liked: bool, bookmarked: bool, retweeted: bool) -> None:
    """Records on a loaded tweet whether ``viewer_id`` liked, bookmarked and retweeted it (read
    with the row; ``tweets.display`` then skips its own query for this tweet)."""
    tweet.viewer_liked, tweet.viewer_bookmarked, tweet.viewer_retweeted = liked, bookmarked, retweeted
    tweet.viewer_state_of = viewer_id


def has_viewer_state(tweet: Tweet, viewer_id: int) -> bool:
    """Whether the tweet was loaded with ``viewer_id``'s state (``set_viewer_state``)."""
    return getattr(tweet, "viewer_state_of", None) == viewer_id


def _run(kind: str, *, viewer_id: int | None, ids: Iterable[int], via: Iterable[int] = ()) -> dict[int, Tweet]:
    ids, via = list(ids), list(via)
    if not ids and not via:
        return {}
    params = {"viewer": viewer_id, "ids": _ids_param(ids)}
    if kind == "embedded":
        params["via"] = _ids_param(via)
    statement = _statement(kind)
    with statement_cursor(binary=True, numbered=True) as cursor:
        cursor.execute(statement.sql, statement.params(params))
        return tweets_from_rows(typed_rows(cursor.fetchall()), viewer_id)


def home_tweets(*, viewer_id: int, ids: Iterable[int]) -> dict[int, Tweet]:
    """Of these candidate ids, the tweets the viewer may see in their home timeline now, with
    their authors: visible to the viewer, by themselves or someone they still follow, and
    neither by nor a retweet of someone they mute. One query."""
    return _run("home", viewer_id=viewer_id, ids=ids)


class HomeRows(NamedTuple):
    tweets: dict[int, tuple]  # the home tweets' typed rows (``typed_rows``), by id
    embedded: dict[int, tuple]  # the rows of the tweets they embed, as ``embedded_tweets`` reads them
    usernames: dict[int, str]  # user id -> username of the users mentioned in any of them


class HomeTweets(NamedTuple):
    tweets: dict[int, Tweet]  # the home tweets, by id
    embedded: dict[int, Tweet]  # the tweets they embed, as ``embedded_tweets`` gives them
    usernames: dict[int, str]  # user id -> username of the users mentioned in any of them


def home_rows_with_embedded(*, viewer_id: int, ids: Iterable[int]) -> HomeRows:
    """The rows of ``home_tweets(viewer_id=..., ids=...)``, of ``embedded_tweets`` of the tweets
    those rows quote or retweet (``ids``: their quote and retweet ids, ``quoted_by``: their
    retweet ids), and the current usernames of the users they mention, in one query. Rows, not
    instances: the home page renders them as they are (``tweets.display.rows_for_display``)."""
    ids = list(ids)
    if not ids:
        return HomeRows({}, {}, {})
    statement = _statement("home_embedded")
    with statement_cursor(binary=True, numbered=True) as cursor:
        cursor.execute(statement.sql, statement.params({"viewer": viewer_id, "ids": _ids_param(ids)}))
        rows = cursor.fetchall()
    # The first column says what a row is (see ``_home_embedded``): a home row, an embedded row,
    # or (mentioned user id, NULL, username).
    home: dict[int, tuple] = {}
    embedded: dict[int, tuple] = {}
    usernames: dict[int, str] = {}
    typed = connection.vendor == "postgresql"
    for row in rows:
        kind = row[0]
        if kind == 2:
            usernames[row[1]] = row[3]
        else:
            values = row[1:] if typed else _typed(row[1:])
            (embedded if kind else home)[values[ROW_ID]] = values
    return HomeRows(home, embedded, usernames)


def home_tweets_with_embedded(*, viewer_id: int, ids: Iterable[int]) -> HomeTweets:
    """``home_rows_with_embedded`` as Tweet instances (``tweets_from_rows``)."""
    home, embedded, usernames = home_rows_with_embedded(viewer_id=viewer_id, ids=ids)
    tweets = tweets_from_rows(list(home.values()), viewer_id)
    return HomeTweets(tweets, tweets_from_rows(list(embedded.values()), viewer_id), usernames)


def visible_tweets(*, viewer_id: int | None, ids: Iterable[int]) -> dict[int, Tweet]:
    """Of these ids, the tweets (and retweets) the viewer may see, with their authors. One query."""
    return _run("visible", viewer_id=viewer_id, ids=ids)


def author_tweets(
    *, viewer_id: int | None, author_id: int, bound: int, ascending: bool, limit: int, offset: int = 0
) -> list[Tweet]:
    """A keyset page of the author's tweets and retweets that the viewer may see, with their
    authors: ids at or below ``bound`` newest first, or above it oldest first (``ascending``),
    ``offset`` rows skipped, at most ``limit``. One query."""
    params = {"viewer": viewer_id, "author": author_id, "bound": bound, "limit": limit, "offset": offset}
    statement = _statement("author_asc" if ascending else "author")
    with statement_cursor(binary=True, numbered=True) as cursor:
        cursor.execute(statement.sql, statement.params(params))
        return list(tweets_from_rows(typed_rows(cursor.fetchall()), viewer_id).values())


def embedded_tweets(*, viewer_id: int | None, ids: Iterable[int], quoted_by: Iterable[int] = ()) -> dict[int, Tweet]:
    """Of these ids of quoted or retweeted tweets (never retweets themselves: the services
    resolve a retweet to its original), and of the tweets quoted by the tweets ``quoted_by``,
    those the viewer may see, with their authors. One query."""
    return _run("embedded", viewer_id=viewer_id, ids=ids, via=quoted_by)
