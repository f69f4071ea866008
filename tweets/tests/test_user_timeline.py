"""The user timeline (``GET /api/v1/users/{username}/tweets``) on the constant-statement path:
the page statement (``tweets.visibility.author_tweets``) keeps what the ORM rule keeps, in the
same order; the keyset paginator over it gives the pages and links DRF's cursor pagination gives
over the ORM queryset, for every cursor (forward, reverse, with offsets); the user lookup
(``accounts.selectors.visible_user_id``) refuses whom ``user_get_visible`` refuses; and the page
costs a fixed, small number of queries."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.pagination import Cursor
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.models import User
from accounts.selectors import user_get_visible, visible_user_id
from accounts.tests.factories import UserFactory
from social import services as social
from tweets import selectors, services
from tweets.models import Tweet
from tweets.pagination import KeysetPagination
from tweets.tests.test_visibility_sql import world  # noqa: F401 - the fixture
from tweets.visibility import author_tweets
from twitterclone.errors import NotFound
from twitterclone.pagination import MAX_POSITION, CursorCodec

pytestmark = pytest.mark.django_db


def _viewers(world):  # noqa: F811
    return {
        "viewer": world["viewer"],
        "stranger": world["stranger"],
        "anonymous": AnonymousUser(),
        "hidden_author": world["authors"]["hidden"],
        "suspended_author": world["authors"]["suspended"],
    }


@pytest.mark.parametrize("who", ["viewer", "stranger", "anonymous", "hidden_author", "suspended_author"])
def test_author_statement_equals_the_orm_rule_in_order(world, who):  # noqa: F811
    viewer = _viewers(world)[who]
    viewer_id = viewer.pk if viewer.is_authenticated else None
    for author in [*world["authors"].values(), world["viewer"]]:
        expected = list(
            selectors.user_tweets(author=author, viewer=viewer).order_by("-id").values_list("id", flat=True)
        )
        newest_first = author_tweets(
            viewer_id=viewer_id, author_id=author.pk, bound=MAX_POSITION, ascending=False, limit=100
        )
        assert [tweet.pk for tweet in newest_first] == expected, author.username
        oldest_first = author_tweets(viewer_id=viewer_id, author_id=author.pk, bound=0, ascending=True, limit=100)
        assert [tweet.pk for tweet in oldest_first] == expected[::-1], author.username
        assert all(tweet.author.pk == author.pk for tweet in newest_first)


def test_author_statement_bounds_limit_and_offset(user):
    ids = [services.tweet_create(author=user, text=f"tweet {n}").pk for n in range(6)]
    page = author_tweets(viewer_id=None, author_id=user.pk, bound=ids[4], ascending=False, limit=2, offset=1)
    assert [tweet.pk for tweet in page] == [ids[3], ids[2]]  # at or below ids[4], one skipped
    page = author_tweets(viewer_id=None, author_id=user.pk, bound=ids[1], ascending=True, limit=3)
    assert [tweet.pk for tweet in page] == [ids[2], ids[3], ids[4]]  # above ids[1], nearest first


@pytest.fixture
def timeline(user, other_user):
    """``other_user``'s 9 tweets as ``user`` sees them: some followers-only (``user`` does not
    follow), one hidden, two retweets (one of a tweet hidden since)."""
    stranger = UserFactory()
    social.follow_create(follower=other_user, followee=stranger)
    shown = services.tweet_create(author=stranger, text="public")
    secret = services.tweet_create(author=stranger, text="hidden later")
    for n in range(9):
        visibility = "followers" if n in (2, 5) else "public"
        tweet = services.tweet_create(author=other_user, text=f"tweet {n}", visibility=visibility)
        if n == 4:
            Tweet.objects.filter(pk=tweet.pk).update(is_hidden=True)
    services.retweet_create(user=other_user, tweet_id=shown.pk)
    services.retweet_create(user=other_user, tweet_id=secret.pk)
    Tweet.objects.filter(pk=secret.pk).update(is_hidden=True)  # its retweet is invisible now
    return other_user


def _request(path, user, query=""):
    request = Request(APIRequestFactory().get(f"{path}{query}"))
    request.user = user
    return request


def _reference(author, viewer, query):
    """DRF's cursor pagination over the ORM queryset: what the view answered before."""
    paginator = KeysetPagination()
    page = paginator.paginate_queryset(
        selectors.user_tweets(author=author, viewer=viewer), _request("/t", viewer, query)
    )
    return [tweet.pk for tweet in page], paginator.get_next_link(), paginator.get_previous_link()


def _keyset(author, viewer, query):
    paginator = KeysetPagination()
    page = paginator.paginate_keyset(
        lambda **bounds: selectors.user_tweets_page(author_id=author.pk, viewer=viewer, **bounds),
        _request("/t", viewer, query),
    )
    return [tweet.pk for tweet in page], paginator.get_next_link(), paginator.get_previous_link()


def _cursor(link):
    return link.split("cursor=")[1].split("&")[0] if link else None


def test_keyset_pages_and_links_equal_drfs_over_the_queryset(timeline, user):
    ids = list(Tweet.objects.filter(author=timeline).order_by("-id").values_list("id", flat=True))
    cursors = {None}
    for position in [*ids, ids[0] + 1, 0, MAX_POSITION]:
        for reverse in (False, True):
            for offset in (0, 1, 3):
                cursors.add(CursorCodec.encode(Cursor(offset=offset, reverse=reverse, position=position)))
    checked = 0
    for size in (1, 2, 3, 20):
        pending, seen = [None, *cursors], set()
        while pending:
            cursor = pending.pop()
            if cursor in seen:
                continue
            seen.add(cursor)
            query = f"?page_size={size}" + (f"&cursor={cursor}" if cursor else "")
            expected = _reference(timeline, user, query)
            assert _keyset(timeline, user, query) == expected, query
            pending += [_cursor(link) for link in expected[1:] if link]  # walk the links too
            checked += 1
    assert checked > 100


def test_user_timeline_view_answers_what_the_queryset_path_answered(timeline, user, auth_client):
    from tweets.serializers import TweetSerializer

    first = Tweet.objects.filter(author=timeline, retweet_of__isnull=True).order_by("id").first()
    services.like_create(user=user, tweet_id=first.pk)
    services.bookmark_create(user=user, tweet_id=first.pk)
    client = auth_client(user)
    expected = list(selectors.user_tweets(author=timeline, viewer=user).order_by("-id").values_list("id", flat=True))
    seen, url = [], f"/api/v1/users/{timeline.username}/tweets?page_size=3"
    while url:
        body = client.get(url).json()
        query = url.split("tweets", 1)[1]
        request = _request(f"/api/v1/users/{timeline.username}/tweets", user, query)
        paginator = KeysetPagination()
        page = paginator.paginate_queryset(selectors.user_tweets(author=timeline, viewer=user), request)
        rendered = TweetSerializer(
            selectors.tweets_for_display(page, user), many=True, context={"request": request}
        ).data
        assert body["results"] == rendered
        seen += [item["id"] for item in body["results"]]
        url = body["next"] and "/api/v1/" + body["next"].split("/api/v1/", 1)[1]
    assert seen == expected
    assert len(expected) == 7  # 6 of its 9 tweets (2 followers-only, 1 hidden), one of its 2 retweets
    assert any(
        item["liked"] and item["bookmarked"]
        for item in client.get(f"/api/v1/users/{timeline.username}/tweets?page_size=20").json()["results"]
    )


def _refused(function, **kwargs) -> bool:
    try:
        function(**kwargs)
    except NotFound:
        return True
    return False


def test_visible_user_id_refuses_whom_user_get_visible_refuses(user):
    _plain, suspended, inactive = UserFactory(username="Plain_One"), UserFactory(), UserFactory()
    blocker, blocked = UserFactory(), UserFactory()
    User.objects.filter(pk=suspended.pk).update(is_suspended=True)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    social.block_create(blocker=blocker, blocked=user)
    social.block_create(blocker=user, blocked=blocked)
    viewers = [user, AnonymousUser(), User.objects.get(pk=suspended.pk), User.objects.get(pk=inactive.pk)]
    names = ["plain_one", "PLAIN_ONE", "nobody", "a\x00b", suspended.username, inactive.username]
    names += [blocker.username, blocked.username, user.username]
    for viewer in viewers:
        for name in names:
            refused = _refused(user_get_visible, username=name, viewer=viewer)
            assert _refused(visible_user_id, username=name, viewer=viewer) == refused, (viewer, name)
            if not refused:
                assert (
                    visible_user_id(username=name, viewer=viewer) == user_get_visible(username=name, viewer=viewer).pk
                )
    assert _refused(visible_user_id, username=blocker.username, viewer=user)
    assert not _refused(visible_user_id, username=suspended.username, viewer=viewers[2])  # themselves


def test_user_timeline_page_costs_the_lookup_and_one_statement(timeline, user, auth_client):
    client = auth_client(user)
    path = f"/api/v1/users/{timeline.username}/tweets"
    client.get(path)  # warms the hydration cache and the token version
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    statements = [query["sql"] for query in queries]
    # The user, the page with the viewer's state, the retweeted tweet: nothing per tweet.
    assert len(statements) == 3, statements
    assert "social_block" in statements[0] and "LIMIT 1" in statements[0]
    items = response.json()["results"]
    assert all(set(item) >= {"liked", "retweeted", "bookmarked"} for item in items)
