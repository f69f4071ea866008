"""Home and other timelines, pagination and query counts (PostgreSQL pull path here;
the Redis path is in test_feeds_redis.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from social import services as social
from tweets import services
from tweets.models import TweetHashtag

pytestmark = pytest.mark.django_db

HOME = "/api/v1/timeline/home"


@pytest.fixture(autouse=True)
def _pull_backend(settings):
    settings.TIMELINE_BACKEND = "pull"


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def walk(client, path, page_size):
    """Every id of a list, following `next` links."""
    seen, next_url = [], f"{path}{'&' if '?' in path else '?'}page_size={page_size}"
    while next_url:
        response = client.get(next_url)
        seen += ids(response)
        next_url = response.json()["next"]
    return seen


def test_home_has_own_and_followed_tweets_and_retweets_newest_first(user, other_user, auth_client):
    stranger = UserFactory()
    social.follow_create(follower=user, followee=other_user)
    own = services.tweet_create(author=user, text="mine")
    theirs = services.tweet_create(author=other_user, text="theirs")
    services.tweet_create(author=stranger, text="stranger")
    stranger_tweet = services.tweet_create(author=stranger, text="retweeted by a followee")
    services.retweet_create(user=other_user, tweet_id=stranger_tweet.pk)
    retweet_id = other_user.tweets.get(retweet_of=stranger_tweet).pk
    response = auth_client(user).get(HOME)
    assert ids(response) == [retweet_id, theirs.pk, own.pk]
    assert response.json()["results"][0]["retweet_of"]["id"] == stranger_tweet.pk


def test_home_requires_authentication(api_client):
    assert api_client.get(HOME).status_code == 401


def test_home_leaves_out_muted_users_and_their_retweets(user, other_user, auth_client):
    muted = UserFactory()
    for followee in (other_user, muted):
        social.follow_create(follower=user, followee=followee)
    kept = services.tweet_create(author=other_user, text="kept")
    services.tweet_create(author=muted, text="muted")
    muted_original = services.tweet_create(author=UserFactory(), text="x")
    services.retweet_create(user=muted, tweet_id=muted_original.pk)
    retweet_of_muted = services.tweet_create(author=muted, text="by muted")
    services.retweet_create(user=other_user, tweet_id=retweet_of_muted.pk)
    social.mute_create(muter=user, muted=muted)
    assert ids(auth_client(user).get(HOME)) == [kept.pk]
    # Muting changes nothing else: the muted user's tweets stay visible elsewhere.
    assert auth_client(user).get(f"/api/v1/users/{muted.username}/tweets").json()["results"]
    social.mute_delete(muter=user, muted=muted)
    assert len(ids(auth_client(user).get(HOME))) == 5


def test_block_removes_follows_and_tweets_from_home(user, other_user, auth_client):
    social.follow_create(follower=user, followee=other_user)
    services.tweet_create(author=other_user, text="soon blocked")
    social.block_create(blocker=other_user, blocked=user)
    assert ids(auth_client(user).get(HOME)) == []


def test_home_pagination_never_skips_or_repeats_when_tweets_arrive(user, other_user, auth_client):
    social.follow_create(follower=user, followee=other_user)
    created = [services.tweet_create(author=other_user, text=f"t{i}").pk for i in range(7)]
    client = auth_client(user)
    first = client.get(f"{HOME}?page_size=3")
    assert ids(first) == created[::-1][:3]
    assert first.json()["previous"] is None
    services.tweet_create(author=other_user, text="new one")  # arrives between pages
    second = client.get(first.json()["next"])
    assert ids(second) == created[::-1][3:6]
    third = client.get(second.json()["next"])
    assert ids(third) == created[:1]
    assert third.json()["next"] is None
    back = client.get(second.json()["previous"])
    assert ids(back) == created[::-1][:3]


def test_home_previous_link_of_first_page_after_new_tweets(user, other_user, auth_client):
    social.follow_create(follower=user, followee=other_user)
    created = [services.tweet_create(author=other_user, text=f"t{i}").pk for i in range(4)]
    client = auth_client(user)
    second = client.get(client.get(f"{HOME}?page_size=2").json()["next"])
    assert ids(second) == [created[1], created[0]]
    newer = [services.tweet_create(author=other_user, text=f"n{i}").pk for i in range(3)]
    previous = client.get(second.json()["previous"])
    assert ids(previous) == [created[3], created[2]]
    newest = client.get(previous.json()["previous"])
    assert ids(newest) == [newer[1], newer[0]]


def test_home_page_fills_past_filtered_candidates(user, other_user, auth_client):
    social.follow_create(follower=user, followee=other_user)
    kept = services.tweet_create(author=other_user, text="kept")
    hidden = [services.tweet_create(author=other_user, text=f"h{i}").pk for i in range(5)]
    type(kept).objects.filter(pk__in=hidden).update(is_hidden=True)
    assert ids(auth_client(user).get(f"{HOME}?page_size=2")) == [kept.pk]


@pytest.mark.parametrize("cursor", ["garbage", "cD1hYmM=", "cD0xLjU="])
def test_bad_cursor_is_400(user, auth_client, cursor):
    response = auth_client(user).get(f"{HOME}?cursor={cursor}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("page_size", ["0", "-1", "abc"])
def test_bad_page_size_is_400(user, auth_client, page_size):
    assert auth_client(user).get(f"{HOME}?page_size={page_size}").status_code == 400


def test_user_timeline_likes_bookmarks_and_hashtags(user, other_user, auth_client):
    first = services.tweet_create(author=other_user, text="first #Django")
    second = services.tweet_create(author=other_user, text="second #django #python")
    services.tweet_create(author=user, text="mine #python")
    services.like_create(user=other_user, tweet_id=second.pk)
    services.like_create(user=other_user, tweet_id=first.pk)  # liked later: listed first
    services.bookmark_create(user=user, tweet_id=first.pk)
    services.bookmark_create(user=user, tweet_id=second.pk)
    client = auth_client(user)
    assert ids(client.get(f"/api/v1/users/{other_user.username}/tweets")) == [second.pk, first.pk]
    assert ids(client.get(f"/api/v1/users/{other_user.username}/likes")) == [first.pk, second.pk]
    assert ids(client.get("/api/v1/bookmarks")) == [second.pk, first.pk]
    assert ids(client.get("/api/v1/hashtags/DJANGO/tweets")) == [second.pk, first.pk]
    assert ids(client.get("/api/v1/hashtags/nothing/tweets")) == []
    assert client.get("/api/v1/users/nobody/tweets").status_code == 404


def test_likes_list_pages_by_like_order(user, other_user, auth_client):
    tweets = [services.tweet_create(author=other_user, text=f"t{i}") for i in range(5)]
    for tweet in reversed(tweets):
        services.like_create(user=user, tweet_id=tweet.pk)
    seen = walk(auth_client(user), f"/api/v1/users/{user.username}/likes", 2)
    assert seen == [tweet.pk for tweet in tweets]


def test_bookmarks_require_authentication(api_client):
    assert api_client.get("/api/v1/bookmarks").status_code == 401


def test_trends_count_tweets_of_last_24_hours(user, other_user, api_client):
    for author in (user, other_user):
        services.tweet_create(author=author, text="#hot stuff")
    services.tweet_create(author=user, text="#warm #hot")
    old = services.tweet_create(author=user, text="#stale")
    TweetHashtag.objects.filter(tweet=old).update(created_at=timezone.now() - timedelta(hours=25))
    services.tweet_create(author=other_user, text="#private", visibility="followers")
    body = api_client.get("/api/v1/trends").json()
    assert body["trends"] == [{"name": "hot", "tweet_count": 3}, {"name": "warm", "tweet_count": 1}]
    assert api_client.get("/api/v1/trends?limit=1").json()["trends"] == [{"name": "hot", "tweet_count": 3}]
    assert api_client.get("/api/v1/trends?limit=0").status_code == 400


def test_search_tweets_by_words(user, other_user, api_client):
    match = services.tweet_create(author=user, text="Django timelines are fast")
    services.tweet_create(author=user, text="django only")
    services.tweet_create(author=other_user, text="Fast timelines elsewhere with DJANGO")
    hidden = services.tweet_create(author=other_user, text="django timelines fast but hidden")
    type(hidden).objects.filter(pk=hidden.pk).update(is_hidden=True)
    found = ids(api_client.get("/api/v1/search?q=django fast timelines"))
    assert match.pk in found and len(found) == 2 and hidden.pk not in found


def test_search_users_by_prefix(user, auth_client):
    UserFactory(username="searchable_one", display_name="Alpha")
    UserFactory(username="other", display_name="Searchable Two")
    body = auth_client(user).get("/api/v1/search?q=SEARCH&type=users").json()
    assert sorted(item["username"] for item in body["results"]) == ["other", "searchable_one"]
    assert "following" in body["results"][0]


@pytest.mark.parametrize("query", ["", "?q=", "?q=x&type=places", f"?q={'x' * 201}"])
def test_search_validation(api_client, query):
    response = api_client.get(f"/api/v1/search{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


# --- Query counts: a page costs the same whatever its size ------------------------------------


def build_network(user, count):
    """Followed authors posting tweets, replies, quotes, retweets, with hashtags, mentions,
    likes and bookmarks by ``user``: everything a page has to render."""
    authors = [UserFactory() for _ in range(3)]
    for author in authors:
        social.follow_create(follower=user, followee=author)
    previous = None
    for index in range(count):
        author = authors[index % 3]
        tweet = services.tweet_create(
            author=author,
            text=f"#tag{index % 4} hello @{user.username} number {index}",
            reply_to_id=previous.pk if previous and index % 5 == 1 else None,
            quote_of_id=previous.pk if previous and index % 5 == 2 else None,
        )
        if index % 5 == 3:
            services.retweet_create(user=authors[(index + 1) % 3], tweet_id=previous.pk)
        services.like_create(user=user, tweet_id=tweet.pk)
        services.bookmark_create(user=user, tweet_id=tweet.pk)
        previous = tweet
    return authors


LIST_PATHS = [
    HOME,
    "/api/v1/users/{author}/tweets",
    "/api/v1/users/{user}/likes",
    "/api/v1/bookmarks",
    "/api/v1/hashtags/tag1/tweets",
    "/api/v1/search?q=hello",
    "/api/v1/tweets/{first}/replies",
    "/api/v1/users/{user}/followers",
    "/api/v1/users/{user}/following",
    "/api/v1/tweets/{first}/liked_by",
]


@pytest.mark.parametrize("path", LIST_PATHS)
def test_list_query_count_does_not_grow_with_page_size(user, auth_client, django_assert_max_num_queries, path):
    authors = build_network(user, 30)
    first = authors[0].tweets.order_by("id").first()
    for follower in [UserFactory() for _ in range(6)]:
        social.follow_create(follower=follower, followee=user)
        services.like_create(user=follower, tweet_id=first.pk)
        services.tweet_create(author=follower, text="a reply", reply_to_id=first.pk)
    path = path.format(author=authors[0].username, user=user.username, first=first.pk)
    client = auth_client(user)
    separator = "&" if "?" in path else "?"
    small = client.get(f"{path}{separator}page_size=2")  # warm-up, and a small page
    assert len(small.json()["results"]) == 2
    # The whole request (authentication, the page, the serializer) within a fixed budget,
    # for a page of 2 and a page of 25 alike, the hydration cache cold for most of the 25:
    # authentication, the page (and the user it belongs to), the embedded tweets, hashtags,
    # mentions, the viewer's state.
    with django_assert_max_num_queries(8):
        assert len(client.get(f"{path}{separator}page_size=2").json()["results"]) == 2
    with django_assert_max_num_queries(8):
        big = client.get(f"{path}{separator}page_size=25").json()["results"]
    assert len(big) > 2


def test_tweet_detail_query_count(user, auth_client, django_assert_max_num_queries):
    build_network(user, 10)
    client = auth_client(user)
    tweet_id = user.likes.order_by("-id").first().tweet_id
    with django_assert_max_num_queries(6):  # authentication, the tweet, embedded, hashtags, mentions, state
        assert client.get(f"/api/v1/tweets/{tweet_id}").status_code == 200


def test_context_query_count_is_fixed(user, auth_client, django_assert_max_num_queries):
    root = services.tweet_create(author=user, text="root")
    parent = root
    for index in range(12):
        parent = services.tweet_create(author=user, text=f"reply {index}", reply_to_id=parent.pk)
    client = auth_client(user)
    # Authentication, then the tweet and the thread, each with its display data (hashtags and
    # mentions cold here).
    with django_assert_max_num_queries(10):
        body = client.get(f"/api/v1/tweets/{root.pk}/context").json()
    assert len(body["descendants"]) == 12


def test_trends_are_cached_briefly(user, api_client):
    from django.core.cache import cache

    services.tweet_create(author=user, text="#first")
    assert api_client.get("/api/v1/trends").json()["trends"] == [{"name": "first", "tweet_count": 1}]
    services.tweet_create(author=user, text="#first again")
    assert api_client.get("/api/v1/trends").json()["trends"] == [{"name": "first", "tweet_count": 1}]
    cache.clear()
    assert api_client.get("/api/v1/trends").json()["trends"] == [{"name": "first", "tweet_count": 2}]
