"""Rendering Mastodon statuses: each author's Account is built once per page from one query for
all the authors (the home timeline's rows carry a summary of the author only), the same Account
as the account endpoint's; URLs are built once per response; the timestamps keep their format.
"""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.tests.factories import UserFactory
from mastodon_api import presenters
from social import services as social
from tweets import services

pytestmark = pytest.mark.django_db

HOME = "/api/v1/timelines/home"


def _network(user, authors: int) -> list[User]:
    people = [UserFactory(bio=f"bio of #n{n} and @{user.username}", location="Paris") for n in range(authors)]
    User.objects.filter(pk=people[0].pk).update(website="https://example.com/a?b=1&c=2")
    for person in people:
        social.follow_create(follower=user, followee=person)
        services.tweet_create(author=person, text=f"hello #tag from {person.username} @{user.username}")
    services.retweet_create(user=people[-1], tweet_id=services.tweet_create(author=people[0], text="original").pk)
    return people


def test_status_accounts_are_the_account_endpoints(user, mastodon_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _network(user, 4)
    client = mastodon_client(user)
    statuses = client.get(HOME).json()
    assert len(statuses) == 6
    nested = [status["reblog"] for status in statuses if status["reblog"]]
    assert len(nested) == 1
    for status in [*statuses, *nested]:
        expected = client.get(f"/api/v1/accounts/{status['account']['id']}").json()
        expected["last_status_at"] = None  # statuses do not say (as before)
        assert status["account"] == expected
    assert any(status["account"]["fields"] for status in statuses)  # the website and location
    assert all(s["account"]["note"].startswith("<p>bio of #n") for s in statuses)


def test_home_page_queries_do_not_grow_with_its_authors(user, mastodon_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _network(user, 2)
    client = mastodon_client(user)
    client.get(HOME)  # warm-up: the feed, the hydration cache
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(HOME).json()) == 4
    with django_capture_on_commit_callbacks(execute=True):
        _network(user, 12)
    client.get(HOME)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(HOME).json()) == 18
    assert len(many) == len(few), [q["sql"][:80] for q in many]
    account_reads = [q["sql"] for q in many if q["sql"].startswith("SELECT id, ") and "FROM accounts_user" in q["sql"]]
    # The authors' accounts only: the current username of the mentioned user (the viewer, not an
    # author on the page: tweets.hydration never caches a username) and the retweeted tweet come
    # with the home page's own statement (HomePage.usernames, HomePage.embedded).
    assert len(account_reads) == 1, account_reads
    # The whole page: the token with its user, the home statement, the authors' accounts.
    assert len(many) == 3, [q["sql"][:80] for q in many]


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 1, 15, 4, 5, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 15, 4, 5, 999_999, tzinfo=UTC),
        datetime(1999, 1, 2, 3, 4, 5, 1_500, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2030, 6, 30, 23, 59, 59, 123_456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    ],
)
def test_timestamps_keep_mastodons_format(moment):
    utc = moment.astimezone(UTC)
    assert presenters.iso(moment) == utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    assert presenters.iso(None) is None


def test_links_memoize_build_absolute_uri(rf):
    request = rf.get("/")
    links = presenters.Links(request)
    assert links.account("bob") == presenters.account_url(request, "bob") == "http://testserver/api/v1/users/bob"
    assert links.tag("été") == presenters.tag_url(request, "été")
    assert links.account("bob") is links.account("bob")


def test_status_html_is_converted_once_per_text_and_server(user, mastodon_client, monkeypatch, settings):
    from mastodon_api import entities
    from tweets.models import Tweet

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "other.example"]
    author = UserFactory()
    social.follow_create(follower=user, followee=author)
    services.tweet_create(author=author, text=f"hi @{user.username} #kept\n\nbye")
    services.tweet_create(author=author, text="plain & <b>")
    entities._HTML_KEPT.clear()
    client = mastodon_client(user)
    first = client.get(HOME).json()
    conversions = []
    real = entities.text_to_html
    monkeypatch.setattr(entities, "text_to_html", lambda *a, **k: conversions.append(a) or real(*a, **k))
    assert client.get(HOME).json() == first  # the same HTML, none converted again
    assert conversions == []
    assert f'<a href="http://testserver/api/v1/users/{user.username}"' in first[1]["content"]
    assert first[0]["content"] == "<p>plain &amp; &lt;b&gt;</p>"
    # Another server name: its own absolute links.
    other = client.get(HOME, HTTP_HOST="other.example").json()
    assert len(conversions) == 2
    assert f'<a href="http://other.example/api/v1/users/{user.username}"' in other[1]["content"]
    # An edit: a new text, converted.
    tweet_id = int(first[0]["id"])
    services.tweet_edit(tweet=Tweet.objects.get(pk=tweet_id), actor=author, text="edited #kept")
    edited = client.get(HOME).json()
    assert edited[0]["content"].startswith("<p>edited <a href=") and len(conversions) == 3


def test_replies_name_their_parents_authors_with_one_constant_statement(user, mastodon_client):
    bob, carol = UserFactory(), UserFactory()
    social.follow_create(follower=user, followee=bob)
    to_carol = services.tweet_create(author=carol, text="carol's")
    gone = services.tweet_create(author=carol, text="soon deleted")
    services.tweet_create(author=bob, text="to carol", reply_to_id=to_carol.pk)
    services.tweet_create(author=bob, text="to a deleted tweet", reply_to_id=gone.pk)
    own = services.tweet_create(author=bob, text="mine")
    services.tweet_create(author=bob, text="to myself", reply_to_id=own.pk)
    services.tweet_destroy(tweet=gone)
    client = mastodon_client(user)
    with CaptureQueriesContext(connection) as queries:
        statuses = {s["content"]: s for s in client.get(HOME).json()}
    assert statuses["<p>to carol</p>"]["in_reply_to_account_id"] == str(carol.pk)
    assert statuses["<p>to myself</p>"]["in_reply_to_account_id"] == str(bob.pk)
    assert statuses["<p>to a deleted tweet</p>"]["in_reply_to_account_id"] is None
    assert statuses["<p>mine</p>"]["in_reply_to_account_id"] is None
    parents = [q["sql"] for q in queries if "author_id FROM tweets_tweet WHERE id" in q["sql"]]
    assert len(parents) == 1 and not [q["sql"] for q in queries if q["sql"].startswith('SELECT "tweets_tweet"')]


@pytest.mark.parametrize("secure,host", [(False, "testserver"), (True, "other.example:8443")])
def test_links_are_those_of_build_absolute_uri(secure, host, settings):
    """``Links.absolute`` joins plain paths to the server's address itself; every path gives
    what ``request.build_absolute_uri`` gives."""
    from django.test import RequestFactory
    from rest_framework.request import Request

    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    request = Request(RequestFactory().get("/api/v1/timelines/home", secure=secure, HTTP_HOST=host))
    paths = [
        "/",
        "/api/v1/tweets/123",
        "/api/v1/users/some_name",
        "/api/v1/hashtags/café/tweets",
        "/api/v1/hashtags/a b/tweets",
        "/static/mastodon_api/missing.bbb8e6345d45.png",
        "/a/./b",
        "/a/../b",
        "/a/.hidden",
        "//elsewhere.example/x",
        "/q?x=1&y=<2>",
        "https://cdn.example/static/x.png",
        "relative/path",
    ]
    links = presenters.Links(request)
    for path in paths:
        assert links.absolute(path) == request.build_absolute_uri(path), path
        assert links.absolute(path) == request.build_absolute_uri(path), path  # memoized
