"""Home feeds in Redis (fan-out on write), against a real Redis (REDIS_URL), and the fallback
to PostgreSQL when Redis is unavailable."""

import pytest
from django.core.cache import cache

from accounts.tests.factories import UserFactory
from social import services as social
from tweets import feeds, hydration, services
from tweets.models import Tweet

pytestmark = pytest.mark.django_db

HOME = "/api/v1/timeline/home"


@pytest.fixture
def redis_backend(settings):
    settings.TIMELINE_BACKEND = "redis"
    feeds.reset_redis_state()
    assert feeds.redis_enabled()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Runs an action and then its on-commit callbacks (fan-out, feed changes), as a real
    commit would."""

    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


def entry_ids(user):
    return [entry.id for entry in feeds.feed_entries(user.pk)]


def home(client, query=""):
    response = client.get(f"{HOME}{query}")
    assert response.status_code == 200, response.content
    return response


def home_ids(response):
    return [item["id"] for item in response.json()["results"]]


@pytest.mark.redis
def test_followers_feed_gets_the_tweet(user, other_user, auth_client, redis_backend, commit):
    commit(social.follow_create, follower=user, followee=other_user)
    home(auth_client(user))  # builds the feed
    tweet = commit(services.tweet_create, author=other_user, text="fan me out")
    assert entry_ids(user) == [tweet.pk]
    response = home(auth_client(user))
    assert home_ids(response) == [tweet.pk]
    assert response["X-Timeline-Source"] == "redis"


@pytest.mark.redis
def test_fan_out_never_creates_a_partial_feed(user, other_user, redis_backend, commit):
    commit(social.follow_create, follower=user, followee=other_user)
    commit(services.tweet_create, author=other_user, text="nobody has a feed yet")
    assert not feeds.redis_client().exists(feeds.feed_key(user.pk))


@pytest.mark.redis
def test_authors_own_feed_gets_the_tweet_at_once(user, auth_client, redis_backend, commit):
    home(auth_client(user))
    tweet = commit(services.tweet_create, author=user, text="mine")
    assert entry_ids(user) == [tweet.pk]


@pytest.mark.redis
def test_retweets_are_fanned_out(user, other_user, auth_client, redis_backend, commit):
    original = services.tweet_create(author=UserFactory(), text="original")
    commit(social.follow_create, follower=user, followee=other_user)
    home(auth_client(user))
    commit(services.retweet_create, user=other_user, tweet_id=original.pk)
    retweet = Tweet.objects.get(retweet_of=original)
    assert entry_ids(user) == [retweet.pk]
    assert home(auth_client(user)).json()["results"][0]["retweet_of"]["id"] == original.pk


@pytest.mark.redis
def test_unfollow_removes_the_authors_tweets_from_the_feed(user, other_user, auth_client, redis_backend, commit):
    third = UserFactory()
    commit(social.follow_create, follower=user, followee=other_user)
    commit(social.follow_create, follower=user, followee=third)
    home(auth_client(user))
    gone = [commit(services.tweet_create, author=other_user, text=f"t{i}").pk for i in range(3)]
    kept = commit(services.tweet_create, author=third, text="stays")
    assert set(gone) < set(entry_ids(user))
    commit(social.follow_delete, follower=user, followee=other_user)
    assert entry_ids(user) == [kept.pk]
    assert home_ids(home(auth_client(user))) == [kept.pk]


@pytest.mark.redis
def test_block_removes_tweets_from_both_feeds(user, other_user, auth_client, redis_backend, commit):
    commit(social.follow_create, follower=user, followee=other_user)
    commit(social.follow_create, follower=other_user, followee=user)
    home(auth_client(user))
    home(auth_client(other_user))
    theirs = commit(services.tweet_create, author=other_user, text="theirs")
    mine = commit(services.tweet_create, author=user, text="mine")
    commit(social.block_create, blocker=user, blocked=other_user)
    assert entry_ids(user) == [mine.pk]
    assert entry_ids(other_user) == [theirs.pk]


@pytest.mark.redis
def test_delete_removes_the_tweet_and_its_retweets(user, other_user, auth_client, redis_backend, commit):
    retweeter = UserFactory()
    commit(social.follow_create, follower=user, followee=other_user)
    commit(social.follow_create, follower=user, followee=retweeter)
    home(auth_client(user))
    tweet = commit(services.tweet_create, author=other_user, text="delete me")
    commit(services.retweet_create, user=retweeter, tweet_id=tweet.pk)
    assert len(entry_ids(user)) == 2
    commit(services.tweet_delete, tweet=tweet, actor=other_user)
    assert entry_ids(user) == []
    assert home_ids(home(auth_client(user))) == []


@pytest.mark.redis
def test_follow_rebuilds_the_feed_with_the_new_followees_tweets(user, other_user, auth_client, redis_backend, commit):
    older = services.tweet_create(author=other_user, text="posted before the follow")
    home(auth_client(user))
    assert entry_ids(user) == []
    commit(social.follow_create, follower=user, followee=other_user)
    assert home_ids(home(auth_client(user))) == [older.pk]
    assert entry_ids(user) == [older.pk]


@pytest.mark.redis
def test_moderation_and_mutes_apply_to_redis_feeds_at_read_time(user, auth_client, redis_backend, commit):
    hidden_author, suspended_author, muted = UserFactory(), UserFactory(), UserFactory()
    for followee in (hidden_author, suspended_author, muted):
        commit(social.follow_create, follower=user, followee=followee)
    client = auth_client(user)
    home(client)
    hidden = commit(services.tweet_create, author=hidden_author, text="to hide")
    commit(services.tweet_create, author=suspended_author, text="to suspend")
    commit(services.tweet_create, author=muted, text="to mute")
    assert len(home_ids(home(client))) == 3
    Tweet.objects.filter(pk=hidden.pk).update(is_hidden=True)
    type(user).objects.filter(pk=suspended_author.pk).update(is_suspended=True)
    social.mute_create(muter=user, muted=muted)
    response = home(client)
    assert home_ids(response) == []
    assert response["X-Timeline-Source"] == "redis"
    assert len(entry_ids(user)) == 3  # nothing rewritten: filtered at read time


@pytest.mark.redis
def test_feed_is_capped_and_older_pages_come_from_postgres(
    user, other_user, auth_client, redis_backend, commit, settings
):
    settings.TIMELINE_FEED_SIZE = 5
    commit(social.follow_create, follower=user, followee=other_user)
    client = auth_client(user)
    home(client)
    created = [commit(services.tweet_create, author=other_user, text=f"t{i}").pk for i in range(12)]
    assert entry_ids(user) == created[::-1][:5]
    seen, sources, next_url = [], [], f"{HOME}?page_size=3"
    while next_url:
        response = client.get(next_url)
        seen += home_ids(response)
        sources.append(response["X-Timeline-Source"])
        next_url = response.json()["next"]
    assert seen == created[::-1]
    assert sources[0] == "redis" and sources[-1] == "postgres"


@pytest.mark.redis
def test_missing_feed_is_rebuilt_from_postgres(user, other_user, auth_client, redis_backend, commit):
    commit(social.follow_create, follower=user, followee=other_user)
    created = [services.tweet_create(author=other_user, text=f"t{i}").pk for i in range(3)]
    own = services.tweet_create(author=user, text="own").pk
    response = home(auth_client(user))
    assert home_ids(response) == [own, *created[::-1]]
    assert response["X-Timeline-Source"] == "redis"
    assert entry_ids(user) == [own, *created[::-1]]


@pytest.mark.redis
def test_popular_authors_are_pulled_at_read_time(user, other_user, auth_client, redis_backend, commit, settings):
    settings.TIMELINE_PULL_THRESHOLD = 1
    commit(social.follow_create, follower=user, followee=other_user)
    home(auth_client(user))
    celebrity_tweet = commit(services.tweet_create, author=other_user, text="too many followers to fan out")
    mine = commit(services.tweet_create, author=user, text="mine")  # no followers: fanned out
    assert entry_ids(user) == [mine.pk]
    assert str(other_user.pk) in feeds.redis_client().smembers(feeds.pull_authors_key())
    response = home(auth_client(user))
    assert home_ids(response) == [mine.pk, celebrity_tweet.pk]
    assert response["X-Timeline-Source"] == "redis"


@pytest.mark.redis
def test_redis_and_postgres_paths_give_the_same_timeline(user, auth_client, redis_backend, commit, settings):
    authors = [UserFactory() for _ in range(4)]
    for author in authors[:3]:
        commit(social.follow_create, follower=user, followee=author)
    home(auth_client(user))
    for index in range(15):
        tweet = commit(services.tweet_create, author=authors[index % 4], text=f"t{index}")
        if index % 4 == 3:
            commit(services.retweet_create, user=authors[0], tweet_id=tweet.pk)
    client = auth_client(user)
    from_redis = home(client, "?page_size=100")
    settings.TIMELINE_BACKEND = "pull"
    from_postgres = home(client, "?page_size=100")
    assert from_redis["X-Timeline-Source"] == "redis" and from_postgres["X-Timeline-Source"] == "postgres"
    assert home_ids(from_redis) == home_ids(from_postgres)
    assert len(home_ids(from_redis)) == 15


@pytest.mark.redis
def test_redis_home_query_count_is_fixed(user, auth_client, redis_backend, commit, django_assert_num_queries):
    authors = [UserFactory() for _ in range(3)]
    for author in authors:
        commit(social.follow_create, follower=user, followee=author)
    client = auth_client(user)
    home(client)
    for index in range(30):
        commit(services.tweet_create, author=authors[index % 3], text=f"#t hello {index}")
    home(client, "?page_size=2")
    # A post keeps its tweet's hydration: make it cold again, as for tweets posted elsewhere.
    hydration.forget_local()
    cache.delete_many([hydration._key(pk) for pk in Tweet.objects.values_list("pk", flat=True)])
    # The visibility statement (with the viewer's state), hashtags and mentions (cold for 23 of
    # the 25): no authentication query (token version cached), no candidate query (Redis), no
    # embedded tweets on this page.
    with django_assert_num_queries(3):
        assert len(home_ids(home(client, "?page_size=25"))) == 25
    with django_assert_num_queries(1):  # warm hydration cache: the visibility statement only
        assert len(home_ids(home(client, "?page_size=25"))) == 25


def test_unreachable_redis_falls_back_to_postgres(user, other_user, auth_client, settings, commit):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    settings.TIMELINE_BACKEND = "redis"
    feeds.reset_redis_state()
    commit(social.follow_create, follower=user, followee=other_user)
    tweet = commit(services.tweet_create, author=other_user, text="still posted")
    response = home(auth_client(user))
    assert home_ids(response) == [tweet.pk]
    assert response["X-Timeline-Source"] == "postgres"


@pytest.mark.redis
def test_fan_out_in_chunks_reaches_every_existing_feed(other_user, redis_backend, commit, settings):
    """With chunks of 2 followers, the chained tasks (eager here) still reach all 7 followers
    who have a feed, and none of the 2 who have none gets a partial one."""
    settings.TIMELINE_FAN_OUT_CHUNK = 2
    readers = [UserFactory() for _ in range(7)]
    absent = [UserFactory() for _ in range(2)]
    for follower in [*readers, *absent]:
        commit(social.follow_create, follower=follower, followee=other_user)
    for reader in readers:
        feeds.ensure_feed(reader.pk)
    tweet = commit(services.tweet_create, author=other_user, text="to many feeds")
    assert all(entry_ids(reader) == [tweet.pk] for reader in readers)
    assert not any(feeds.redis_client().exists(feeds.feed_key(user.pk)) for user in absent)
    first = feeds.fan_out_plan(tweet_id=tweet.pk)
    assert len(first.keys) == 3 and first.next_before is not None  # 2 followers + the author
    assert feeds.fan_out(tweet_id=tweet.pk) == 7  # again: the 7 feeds (the author has none), unchanged
    assert all(entry_ids(reader) == [tweet.pk] for reader in readers)
