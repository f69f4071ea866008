"""The cache of hydrated tweets (tweets.hydration): one cache round trip per page, and never a
stale page: edits, deletes, moderation (hide, suspend) and profile changes show at once with a
warm cache, stale or foreign entries are ignored, and a dead cache only costs queries."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from accounts.services import profile_update
from accounts.tests.factories import UserFactory
from moderation import services as moderation
from moderation.tests.factories import make_moderator
from social import services as social
from tweets import hydration, services
from tweets.models import Hashtag, Tweet, TweetHashtag

pytestmark = pytest.mark.django_db

HOME = "/api/v1/timeline/home"


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    settings.TIMELINE_BACKEND = "pull"  # candidates from the database: no Redis feed in play
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(user, auth_client):
    """``user`` follows ``author``, whose tweets carry hashtags and mentions; one of them is
    quoted by a tweet of ``user``. The cache is warm (the page was read once)."""
    author = UserFactory(display_name="Author")
    social.follow_create(follower=user, followee=author)
    friend = UserFactory()
    tweets = [services.tweet_create(author=author, text=f"#tag{i} hi @{friend.username}") for i in range(3)]
    quote = services.tweet_create(author=user, text="look", quote_of_id=tweets[0].pk)
    client = auth_client(user)
    assert client.get(HOME).status_code == 200
    return {"author": author, "friend": friend, "tweets": tweets, "quote": quote, "client": client}


def home_items(client):
    response = client.get(HOME)
    assert response.status_code == 200, response.content
    return {item["id"]: item for item in response.json()["results"]}


def _hydration_queries(queries):
    # Not the home page's statement, which reads the mentioned users' usernames with the rows.
    return [
        q["sql"]
        for q in queries
        if ("tweets_tweethashtag" in q["sql"] or "tweets_mention" in q["sql"]) and not q["sql"].startswith("WITH home")
    ]


def test_a_warm_cache_spares_the_hashtag_and_mention_queries(world):
    page_ids = [*(tweet.pk for tweet in world["tweets"]), world["quote"].pk]
    cache.delete_many([hydration._key(pk) for pk in page_ids])  # only the hydration goes cold
    hydration.forget_local()
    with CaptureQueriesContext(connection) as cold_queries:
        cold = world["client"].get(HOME).json()
    with CaptureQueriesContext(connection) as warm_queries:
        warm = world["client"].get(HOME).json()
    assert warm == cold
    assert len(_hydration_queries(cold_queries)) == 2
    assert _hydration_queries(warm_queries) == []
    # Warm, the mentioned user (not an author on the page) costs no query: the home page's
    # statement read their current username with the rows.
    assert len(warm_queries) == len(cold_queries) - 2
    assert not any("username" in q["sql"] and "tweets_" not in q["sql"] for q in warm_queries)
    first = {item["id"]: item for item in warm["results"]}[world["tweets"][0].pk]
    assert first["hashtags"] == ["tag0"] and first["mentions"] == [
        {"id": world["friend"].pk, "username": world["friend"].username}
    ]


def test_an_edit_shows_at_once_with_a_warm_cache(world, user):
    tweet = world["tweets"][0]
    services.tweet_edit(tweet=tweet, actor=world["author"], text=f"#fresh now @{user.username}")
    items = home_items(world["client"])
    assert items[tweet.pk]["text"] == f"#fresh now @{user.username}"
    assert items[tweet.pk]["hashtags"] == ["fresh"]
    assert items[tweet.pk]["mentions"] == [{"id": user.pk, "username": user.username}]
    assert items[world["quote"].pk]["quote_of"]["hashtags"] == ["fresh"]  # the embedded copy too


def test_an_entry_that_predates_an_edit_is_ignored_even_if_invalidation_was_lost(world, user):
    tweet = world["tweets"][1]
    stale = cache.get(hydration._key(tweet.pk))
    assert stale is not None and stale[5] == ["tag1"]
    services.tweet_edit(tweet=tweet, actor=world["author"], text="#edited")
    cache.set(hydration._key(tweet.pk), stale)  # as if a reader had put the old entry back
    assert home_items(world["client"])[tweet.pk]["hashtags"] == ["edited"]


def test_an_entry_of_another_tweet_with_the_same_id_is_ignored(world):
    tweet = world["tweets"][2]
    entry = list(cache.get(hydration._key(tweet.pk)))
    entry[1] -= 3600  # another tweet that had this id (another database, a restored backup)
    entry[5] = ["someone_elses"]
    cache.set(hydration._key(tweet.pk), tuple(entry))
    assert home_items(world["client"])[tweet.pk]["hashtags"] == ["tag2"]


def test_a_deleted_tweet_leaves_every_page_and_its_entry(world):
    tweet = world["tweets"][0]
    services.tweet_delete(tweet=tweet, actor=world["author"])
    assert cache.get(hydration._key(tweet.pk)) is None
    items = home_items(world["client"])
    assert tweet.pk not in items
    assert items[world["quote"].pk]["quote_of"] is None


def test_hide_and_unhide_show_at_once_with_a_warm_cache(world, auth_client):
    moderator = make_moderator()
    tweet = world["tweets"][0]
    moderation.tweet_hide(tweet=tweet, moderator=moderator, reason="spam")
    items = home_items(world["client"])
    assert tweet.pk not in items
    assert items[world["quote"].pk]["quote_of"] is None
    own = auth_client(world["author"]).get(f"/api/v1/tweets/{tweet.pk}").json()
    assert own["hidden"] is True and own["hashtags"] == ["tag0"]
    moderation.tweet_unhide(tweet=Tweet.objects.get(pk=tweet.pk), moderator=moderator, reason="fine")
    items = home_items(world["client"])
    assert items[tweet.pk]["hidden"] is False
    assert items[world["quote"].pk]["quote_of"]["id"] == tweet.pk


def test_suspension_and_unsuspension_show_at_once_with_a_warm_cache(world):
    moderator = make_moderator()
    author = world["author"]
    moderation.user_suspend(user=author, moderator=moderator, reason="abuse")
    items = home_items(world["client"])
    assert not {tweet.pk for tweet in world["tweets"]} & set(items)
    assert items[world["quote"].pk]["quote_of"] is None
    author.refresh_from_db()
    moderation.user_unsuspend(user=author, moderator=moderator, reason="appeal")
    items = home_items(world["client"])
    assert {tweet.pk for tweet in world["tweets"]} <= set(items)
    assert items[world["quote"].pk]["quote_of"]["author"]["id"] == author.pk


def test_a_profile_change_shows_at_once_with_a_warm_cache(world):
    author = world["author"]
    profile_update(user=author, data={"display_name": "Renamed"})
    items = home_items(world["client"])
    assert {items[tweet.pk]["author"]["display_name"] for tweet in world["tweets"]} == {"Renamed"}
    assert items[world["quote"].pk]["quote_of"]["author"]["display_name"] == "Renamed"


def test_a_mentioned_user_renamed_shows_the_new_username_with_warm_caches(world):
    # A rename (a superuser, in the admin) touches no tweet row: neither this process's entries
    # nor the shared ones may keep the old name.
    friend, tweet = world["friend"], world["tweets"][0]
    assert tweet.pk in hydration._local and cache.get(hydration._key(tweet.pk)) is not None
    type(friend).objects.filter(pk=friend.pk).update(username="renamed_friend")
    assert home_items(world["client"])[tweet.pk]["mentions"] == [{"id": friend.pk, "username": "renamed_friend"}]
    hydration.forget_local()  # the shared entry alone
    assert home_items(world["client"])[tweet.pk]["mentions"] == [{"id": friend.pk, "username": "renamed_friend"}]


def test_a_mentioned_author_on_the_page_costs_no_username_query(world, user):
    author = world["author"]
    tweet = services.tweet_create(author=author, text=f"hi @{author.username}")
    home_items(world["client"])
    cache.delete_many([hydration._key(t.pk) for t in world["tweets"]])  # only the new tweet is warm
    hydration.forget_local()
    Tweet.objects.filter(pk__in=[t.pk for t in world["tweets"]]).delete()
    with CaptureQueriesContext(connection) as queries:
        items = home_items(world["client"])
    assert items[tweet.pk]["mentions"] == [{"id": author.pk, "username": author.username}]
    assert not any("username" in q["sql"] and "tweets_" not in q["sql"] for q in queries)


def test_a_mentioned_user_deleted_leaves_the_mentions(world):
    friend, tweet = world["friend"], world["tweets"][0]
    type(friend).objects.filter(pk=friend.pk).delete()
    assert home_items(world["client"])[tweet.pk]["mentions"] == []


def test_pages_still_render_when_the_cache_is_down(world, caplog):
    dead = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    hydration.forget_local()  # (else this process's entries answer without the shared cache)
    with override_settings(CACHES=dead):
        items = home_items(world["client"])
    assert items[world["tweets"][0].pk]["hashtags"] == ["tag0"]
    assert "cache unavailable for tweet hydration" in caplog.text


def test_hydrate_reads_a_page_in_one_cache_round_trip(world, monkeypatch):
    calls = []
    real_get_many = cache.get_many
    monkeypatch.setattr(hydration.cache, "get_many", lambda keys: calls.append(keys) or real_get_many(keys))
    hydration.forget_local()
    home_items(world["client"])
    hydration_reads = [keys for keys in calls if all(key.startswith("tw:hyd2:") for key in keys)]
    # The author's 3 tweets and the quote (the quoted tweet is one of the 3): one get_many.
    assert len(hydration_reads) == 1 and len(hydration_reads[0]) == 4


def test_this_process_keeps_what_it_read_and_checks_it_like_the_shared_cache(world, monkeypatch):
    calls = []
    real_get_many = cache.get_many
    monkeypatch.setattr(hydration.cache, "get_many", lambda keys: calls.append(keys) or real_get_many(keys))
    with CaptureQueriesContext(connection) as queries:
        first = home_items(world["client"])
    hydration_reads = [keys for keys in calls if any(key.startswith("tw:hyd2:") for key in keys)]
    assert hydration_reads == [] and _hydration_queries(queries) == []  # warm here: no round trip, no query
    # An entry of this process that no longer matches its row (as after an edit made by another
    # process, whose invalidation never reached this one) is not used.
    tweet = world["tweets"][1]
    Tweet.objects.filter(pk=tweet.pk).update(text="#fresh now", edited_at=tweet.created_at)
    TweetHashtag.objects.filter(tweet=tweet).delete()
    TweetHashtag.objects.create(tweet=tweet, hashtag=Hashtag.objects.get_or_create(name="fresh")[0])
    cache.delete(hydration._key(tweet.pk))
    items = home_items(world["client"])
    assert items[tweet.pk]["hashtags"] == ["fresh"] and first[tweet.pk]["hashtags"] == ["tag1"]
    assert hydration._local[tweet.pk][5] == ["fresh"]


def test_invalidation_drops_this_process_entries(world):
    tweet = world["tweets"][0]
    assert tweet.pk in hydration._local
    hydration.hydration_invalidate([tweet.pk])
    assert tweet.pk not in hydration._local
