"""What a page costs, and that the cheaper path gives the same answer: the viewer's state read
with the rows of the constant statements (no query of its own), the statements prepared once per
connection on PostgreSQL, and the Redis feed read in one round trip."""

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from social import services as social
from tweets import feeds, services
from tweets.models import Tweet
from twitterclone import redis_wire

pytestmark = pytest.mark.django_db

HOME = "/api/v1/timeline/home"


def _by_id(response):
    assert response.status_code == 200, response.content
    return {item["id"]: item for item in response.json()["results"]}


def _state(item):
    return (item["liked"], item["bookmarked"], item["retweeted"])


@pytest.fixture
def page(user, other_user, django_capture_on_commit_callbacks):
    """``user`` follows ``other_user``, who posted four tweets and a quote of the first; ``user``
    liked the first, bookmarked the second and retweeted the third."""
    with django_capture_on_commit_callbacks(execute=True):
        social.follow_create(follower=user, followee=other_user)
        first, second, third, fourth = (services.tweet_create(author=other_user, text=f"tweet {n}") for n in range(4))
        quote = services.tweet_create(author=other_user, text="quoting", quote_of_id=first.pk)
        services.like_create(user=user, tweet_id=first.pk)
        services.bookmark_create(user=user, tweet_id=second.pk)
        services.retweet_create(user=user, tweet_id=third.pk)
    retweet = Tweet.objects.get(author=user, retweet_of=third)
    return {"first": first, "second": second, "third": third, "fourth": fourth, "quote": quote, "retweet": retweet}


def test_home_page_shows_the_viewers_own_state_on_tweets_and_embedded_tweets(page, user, other_user, auth_client):
    items = _by_id(auth_client(user).get(HOME))
    assert _state(items[page["first"].pk]) == (True, False, False)
    assert _state(items[page["second"].pk]) == (False, True, False)
    assert _state(items[page["third"].pk]) == (False, False, True)
    assert _state(items[page["fourth"].pk]) == (False, False, False)
    assert _state(items[page["quote"].pk]["quote_of"]) == (True, False, False)  # the quoted one is liked
    assert _state(items[page["retweet"].pk]["retweet_of"]) == (False, False, True)
    # Someone else sees their own state (none), not the user's.
    theirs = _by_id(auth_client(other_user).get(HOME))
    assert all(_state(item) == (False, False, False) for item in theirs.values())
    assert _state(theirs[page["quote"].pk]["quote_of"]) == (False, False, False)


def test_home_page_runs_no_query_for_the_viewers_state(page, user, auth_client):
    client = auth_client(user)
    client.get(HOME)  # warms the hydration cache and the token version
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HOME).status_code == 200
    statements = [query["sql"] for query in queries]
    assert not any(sql.startswith("SELECT 1, tweet_id FROM tweets_like") for sql in statements), statements
    # The page statement carries the state itself, of its tweets and of the tweets they embed
    # (read by the same statement: no second statement for the quoted one).
    assert sum("tweets_like vl" in sql for sql in statements) == 1, statements
    assert len(statements) == 1, statements


def test_tweet_detail_state_also_comes_with_the_row(page, user, auth_client):
    client = auth_client(user)
    body = client.get(f"/api/v1/tweets/{page['first'].pk}").json()
    assert _state(body) == (True, False, False)
    client.post(f"/api/v1/tweets/{page['first'].pk}/bookmark")
    assert _state(client.get(f"/api/v1/tweets/{page['first'].pk}").json()) == (True, True, False)


@pytest.mark.postgres
def test_page_statements_are_prepared_once_per_connection(page, user, auth_client, settings):
    assert settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] == 2
    client = auth_client(user)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(4):
            assert client.get(HOME).status_code == 200
    # Logged with their parameters spelled out, like the ORM's queries.
    page_statements = [q["sql"] for q in queries if "tweets_like vl" in q["sql"]]
    assert page_statements and all("%(" not in sql and "$1" not in sql for sql in page_statements)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("tweets_like vl" in statement and "$1" in statement for statement in prepared), prepared


@pytest.mark.postgres
def test_an_empty_threshold_turns_preparing_off(monkeypatch):
    import importlib

    from twitterclone import settings as project_settings

    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "")
    try:
        reloaded = importlib.reload(project_settings)
        assert reloaded.DATABASES["default"]["OPTIONS"]["prepare_threshold"] is None
    finally:
        monkeypatch.delenv("DB_PREPARE_THRESHOLD")
        importlib.reload(project_settings)


@pytest.mark.redis
def test_a_warm_feed_is_read_in_one_redis_round_trip(page, user, auth_client, settings, monkeypatch):
    settings.TIMELINE_BACKEND = "redis"
    feeds.reset_redis_state()
    feeds.ensure_feed(user.pk)
    round_trips = []
    execute, command = redis.client.Pipeline.execute, redis.client.Redis.execute_command
    wire_execute = redis_wire.Wire.execute

    def counting_execute(self, *args, **kwargs):
        round_trips.append("pipeline")
        return execute(self, *args, **kwargs)

    def counting_command(self, *args, **kwargs):
        round_trips.append(args[0])
        return command(self, *args, **kwargs)

    def counting_wire(self, *commands):
        round_trips.append("wire")
        return wire_execute(self, *commands)

    monkeypatch.setattr(redis.client.Pipeline, "execute", counting_execute)
    monkeypatch.setattr(redis.client.Redis, "execute_command", counting_command)
    monkeypatch.setattr(redis_wire.Wire, "execute", counting_wire)
    candidates = feeds.redis_candidates(user_id=user.pk, before=None, limit=10)
    assert round_trips == ["wire"]
    assert [candidate.id for candidate in candidates][:2] == [page["retweet"].pk, page["quote"].pk]


@pytest.mark.redis
def test_a_missing_feed_is_built_then_read(page, user, settings):
    settings.TIMELINE_BACKEND = "redis"
    feeds.reset_redis_state()
    feeds.redis_client().delete(feeds.feed_key(user.pk), f"{feeds.feed_key(user.pk)}:ok")
    candidates = feeds.redis_candidates(user_id=user.pk, before=None, limit=3)
    assert [candidate.id for candidate in candidates] == [page["retweet"].pk, page["quote"].pk, page["fourth"].pk]
    assert feeds.redis_client().exists(f"{feeds.feed_key(user.pk)}:ok")


@pytest.mark.postgres
def test_page_statements_read_binary_rows_with_the_same_values(page, user, monkeypatch):
    """The constant statements ask for binary rows (integers, booleans and timestamps loaded in
    C); the tweets and authors built from them equal those of the text format, down to the
    time zone of the datetimes."""
    from psycopg.pq import Format

    from tweets import visibility
    from twitterclone import db

    ids = [tweet.pk for tweet in page.values()]
    formats = []
    real = db.statement_cursor

    def recording(**kwargs):
        cursor = real(**kwargs)
        formats.append(cursor.cursor.format)
        return cursor

    monkeypatch.setattr(visibility, "statement_cursor", recording)
    binary = visibility.visible_tweets(viewer_id=user.pk, ids=ids)
    assert formats == [Format.BINARY]
    monkeypatch.setattr(visibility, "statement_cursor", lambda **kwargs: real(**{**kwargs, "binary": False}))
    text = visibility.visible_tweets(viewer_id=user.pk, ids=ids)
    assert set(binary) == set(text) == set(ids)

    def values(instance):
        return {
            name: value
            for name, value in instance.__dict__.items()
            if name not in ("_state", "_prefetched_objects_cache")
        }

    for tweet_id, tweet in binary.items():
        assert values(tweet) == values(text[tweet_id])
        assert tweet.created_at.tzinfo == text[tweet_id].created_at.tzinfo
        assert values(tweet.author) == values(text[tweet_id].author)


@pytest.mark.postgres
def test_page_statements_run_with_nothing_converted_or_dumped_by_psycopg_in_python(page, user, monkeypatch):
    """The visibility statements reach psycopg in PostgreSQL's own placeholders (no conversion
    of the statement per execution) with their id arrays as array literals (not through
    psycopg's Python list dumpers), and give the same rows."""
    from psycopg import _queries
    from psycopg.types import array

    from tweets import visibility

    def refuse(*args, **kwargs):
        raise AssertionError("work psycopg does per execution")

    monkeypatch.setattr(_queries.PostgresQuery, "convert", refuse)
    monkeypatch.setattr(array.ListDumper, "dump", refuse)
    monkeypatch.setattr(array.ListBinaryDumper, "dump", refuse)
    ids = {tweet.pk for tweet in page.values()}
    rows = visibility.home_tweets_with_embedded(viewer_id=user.pk, ids=ids)
    assert set(rows.tweets) == ids
    assert set(rows.embedded) == {page["first"].pk, page["third"].pk}
    assert set(visibility.visible_tweets(viewer_id=None, ids=ids)) == ids
    embedded = visibility.embedded_tweets(viewer_id=user.pk, ids=[page["third"].pk], quoted_by=[page["quote"].pk])
    assert set(embedded) == {page["third"].pk, page["first"].pk}
    own = visibility.author_tweets(viewer_id=user.pk, author_id=user.pk, bound=10**12, ascending=False, limit=5)
    assert [tweet.pk for tweet in own] == [page["retweet"].pk]
