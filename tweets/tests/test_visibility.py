"""The one visibility rule (TweetQuerySet.visible_to) and its effect on every read."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.tests.factories import UserFactory
from social import services as social
from tweets import services
from tweets.models import Tweet

pytestmark = pytest.mark.django_db


def visible_ids(viewer):
    return set(Tweet.objects.visible_to(viewer).values_list("id", flat=True))


@pytest.fixture
def author():
    return UserFactory()


def test_hidden_tweet_is_visible_only_to_its_author(author, user, auth_client):
    tweet = services.tweet_create(author=author, text="hidden soon")
    Tweet.objects.filter(pk=tweet.pk).update(is_hidden=True)
    assert tweet.pk not in visible_ids(user)
    assert tweet.pk not in visible_ids(None)
    assert tweet.pk in visible_ids(author)
    assert auth_client(user).get(f"/api/v1/tweets/{tweet.pk}").status_code == 404
    body = auth_client(author).get(f"/api/v1/tweets/{tweet.pk}").json()
    assert body["hidden"] is True


def test_unhidden_tweet_shows_hidden_false(author, auth_client):
    tweet = services.tweet_create(author=author, text="fine")
    assert auth_client(author).get(f"/api/v1/tweets/{tweet.pk}").json()["hidden"] is False


@pytest.mark.parametrize("change", [{"is_suspended": True}, {"is_active": False}])
def test_suspended_or_inactive_authors_tweets_are_invisible_except_to_themselves(author, user, change):
    tweet = services.tweet_create(author=author, text="soon gone")
    type(author).objects.filter(pk=author.pk).update(**change)
    author.refresh_from_db()
    assert tweet.pk not in visible_ids(user)
    assert tweet.pk not in visible_ids(AnonymousUser())
    assert tweet.pk in visible_ids(author)


def test_followers_only_tweet(author, user):
    tweet = services.tweet_create(author=author, text="friends", visibility="followers")
    assert tweet.pk not in visible_ids(user)
    assert tweet.pk not in visible_ids(None)
    social.follow_create(follower=user, followee=author)
    assert tweet.pk in visible_ids(user)


def test_tweets_of_author_who_blocks_viewer_are_invisible(author, user):
    tweet = services.tweet_create(author=author, text="x")
    social.block_create(blocker=author, blocked=user)
    assert tweet.pk not in visible_ids(user)
    other = services.tweet_create(author=user, text="y")
    assert other.pk in visible_ids(author)  # the blocker may still look


def test_retweet_of_invisible_original_is_invisible(author, user):
    original = services.tweet_create(author=author, text="original")
    retweeter = UserFactory()
    services.retweet_create(user=retweeter, tweet_id=original.pk)
    retweet = Tweet.objects.get(retweet_of=original)
    assert retweet.pk in visible_ids(user)
    Tweet.objects.filter(pk=original.pk).update(is_hidden=True)
    assert retweet.pk not in visible_ids(user)
    Tweet.objects.filter(pk=original.pk).update(is_hidden=False)
    type(author).objects.filter(pk=author.pk).update(is_suspended=True)
    assert retweet.pk not in visible_ids(user)


def test_quote_of_invisible_tweet_shows_null(author, user, auth_client):
    quoted = services.tweet_create(author=author, text="quoted")
    quote = services.tweet_create(author=user, text="look", quote_of_id=quoted.pk)
    viewer = UserFactory()
    assert auth_client(viewer).get(f"/api/v1/tweets/{quote.pk}").json()["quote_of"]["id"] == quoted.pk
    Tweet.objects.filter(pk=quoted.pk).update(is_hidden=True)
    body = auth_client(viewer).get(f"/api/v1/tweets/{quote.pk}").json()
    assert body["quote_of"] is None
    # The quoted tweet's author still sees it (they see their own hidden tweet).
    assert auth_client(author).get(f"/api/v1/tweets/{quote.pk}").json()["quote_of"]["hidden"] is True


def test_hidden_tweets_leave_every_list(author, user, auth_client):
    tweet = services.tweet_create(author=author, text="#tag findme")
    services.like_create(user=author, tweet_id=tweet.pk)
    services.bookmark_create(user=user, tweet_id=tweet.pk)
    social.follow_create(follower=user, followee=author)
    Tweet.objects.filter(pk=tweet.pk).update(is_hidden=True)
    client = auth_client(user)
    for path in (
        "/api/v1/timeline/home",
        f"/api/v1/users/{author.username}/tweets",
        f"/api/v1/users/{author.username}/likes",
        "/api/v1/bookmarks",
        "/api/v1/hashtags/tag/tweets",
        "/api/v1/search?q=findme",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.json()["results"] == [], path
    assert client.get("/api/v1/trends").json()["trends"] == []


def test_suspension_takes_effect_in_timelines_at_once(author, user, auth_client):
    social.follow_create(follower=user, followee=author)
    services.tweet_create(author=author, text="before suspension")
    client = auth_client(user)
    assert len(client.get("/api/v1/timeline/home").json()["results"]) == 1
    type(author).objects.filter(pk=author.pk).update(is_suspended=True)
    assert client.get("/api/v1/timeline/home").json()["results"] == []
