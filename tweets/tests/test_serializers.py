"""The hand-built tweet rendering (``tweets.rendering``, which ``TweetSerializer`` and the home
view use) matches DRF's field-by-field rendering exactly, and rendering runs no query."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.models import User
from accounts.tests.factories import UserFactory
from social import services as social
from tweets import services
from tweets.models import Tweet
from tweets.rendering import render_tweets
from tweets.selectors import tweets_for_display
from tweets.serializers import (
    EmbeddedTweetSerializer,
    MissingDisplayData,
    ReferencedTweetSerializer,
    TweetSerializer,
)
from twitterclone.jsoncodec import dumps

pytestmark = pytest.mark.django_db


def request_for(user):
    request = Request(APIRequestFactory().get("/"))
    request.user = user
    return request


@pytest.fixture
def rich_tweets(user):
    author, other = UserFactory(), UserFactory()
    social.follow_create(follower=user, followee=author)
    plain = services.tweet_create(author=author, text="plain")
    public_reply = services.tweet_create(author=other, text="a public reply", reply_to_id=plain.pk)
    services.tweet_edit(tweet=public_reply, actor=other, text="an edited public reply")
    quoted = services.tweet_create(author=other, text=f"quoted #one @{user.username}")
    quote = services.tweet_create(author=author, text="a quote #two", quote_of_id=quoted.pk)
    reply = services.tweet_create(author=author, text="a reply", reply_to_id=quote.pk, visibility="followers")
    services.retweet_create(user=author, tweet_id=quote.pk)
    services.like_create(user=user, tweet_id=quote.pk)
    services.bookmark_create(user=user, tweet_id=reply.pk)
    services.retweet_create(user=user, tweet_id=quoted.pk)
    services.tweet_edit(tweet=reply, actor=author, text="an edited reply")
    hidden_quote_target = services.tweet_create(author=other, text="soon hidden")
    services.tweet_create(author=author, text="quoting a hidden one", quote_of_id=hidden_quote_target.pk)
    Tweet.objects.filter(pk=hidden_quote_target.pk).update(is_hidden=True)
    User.objects.filter(pk=author.pk).update(avatar="avatars/2026/01/face.png")
    return author


@pytest.mark.parametrize("anonymous", [False, True])
def test_fast_rendering_equals_generic_rendering(user, rich_tweets, anonymous):
    viewer = AnonymousUser() if anonymous else user
    context = {"request": request_for(viewer)}
    queryset = Tweet.objects.visible_to(viewer).select_related("author").order_by("-id")
    tweets = tweets_for_display(queryset, viewer)
    assert len(tweets) >= 5
    for tweet in tweets:
        for serializer_class in (TweetSerializer, ReferencedTweetSerializer, EmbeddedTweetSerializer):
            serializer = serializer_class(tweet, context=context)
            with CaptureQueriesContext(connection) as queries:
                fast = serializer.data
                generic = serializer.generic_representation(tweet)
            assert fast == generic, (serializer_class, tweet.pk)
            assert len(queries) == 0, [query["sql"] for query in queries]


@pytest.mark.parametrize("anonymous", [False, True])
def test_serializer_refuses_a_tweet_without_display_data(user, rich_tweets, anonymous):
    """No silent query per tweet: a tweet that skipped tweets_for_display is an error."""
    viewer = AnonymousUser() if anonymous else user
    bare = Tweet.objects.select_related("author").filter(author=rich_tweets).first()
    with pytest.raises(MissingDisplayData):
        TweetSerializer(bare, context={"request": request_for(viewer)}).data
    without_author = tweets_for_display([Tweet.objects.filter(author=rich_tweets).first()], viewer)[0]
    assert not Tweet._meta.get_field("author").is_cached(without_author)
    with pytest.raises(MissingDisplayData):
        TweetSerializer(without_author, context={"request": request_for(viewer)}).data


def generic_json(tweets, context) -> bytes:
    return dumps([TweetSerializer(tweet, context=context).generic_representation(tweet) for tweet in tweets])


@pytest.mark.parametrize("anonymous", [False, True])
def test_render_tweets_is_byte_equal_to_the_serializer(user, rich_tweets, anonymous):
    """Every kind of tweet of the fixture (plain, reply, retweet, quote, retweeted quote, quote
    of an invisible tweet, edited, hashtags, mentions, liked / bookmarked / retweeted by the
    viewer): the same JSON as TweetSerializer's and DRF's generic rendering, and no query."""
    viewer = AnonymousUser() if anonymous else user
    request = request_for(viewer)
    context = {"request": request}
    tweets = tweets_for_display(Tweet.objects.visible_to(viewer).select_related("author").order_by("-id"), viewer)
    kinds = {
        "reply": any(t.reply_to_id for t in tweets),
        "retweet": any(t.retweet_of_id for t in tweets),
        "retweeted quote": any(t.retweet_of_id and t.display_retweet_of.quote_of_id for t in tweets),
        "quote": any(t.display_quote_of for t in tweets if t.quote_of_id),
        "quote of an invisible tweet": any(t.quote_of_id and t.display_quote_of is None for t in tweets),
        "edited": any(t.edited_at for t in tweets),
        "hashtags": any(t.display_hashtags for t in tweets),
        "mentions": any(t.display_mentions for t in tweets),
    }
    if not anonymous:
        kinds.update(
            liked=any(t.viewer_liked for t in tweets),
            bookmarked=any(t.viewer_bookmarked for t in tweets),
            retweeted=any(t.viewer_retweeted for t in tweets),
        )
    assert all(kinds.values()), kinds
    with CaptureQueriesContext(connection) as queries:
        fast = dumps(render_tweets(tweets, request))
    assert len(queries) == 0, [query["sql"] for query in queries]
    assert fast == dumps(TweetSerializer(tweets, many=True, context=context).data)
    assert fast == generic_json(tweets, context)


def test_home_page_is_byte_equal_to_generic_rendering(user, rich_tweets, auth_client):
    """The home view renders its statement's rows (no model instances) as DRF renders the same
    tweets loaded through the ORM: every kind of tweet of the fixture, an author's avatar."""
    response = auth_client(user).get("/api/v1/timeline/home")
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) >= 6
    assert any(item["author"]["avatar_url"] for item in results)
    assert any(item["retweet_of"] and item["retweet_of"]["quote_of"] for item in results)
    assert any(item["quote_of"] is None and item["text"] == "quoting a hidden one" for item in results)
    ids = [item["id"] for item in results]
    by_id = Tweet.objects.select_related("author").in_bulk(ids)
    tweets = tweets_for_display([by_id[tweet_id] for tweet_id in ids], user)
    context = {"request": response.wsgi_request}
    assert dumps(results) == generic_json(tweets, context)


def test_render_tweets_reads_deferred_columns(user, rich_tweets):
    """A tweet loaded without some columns renders the same (the descriptor loads them)."""
    request = request_for(user)
    full = tweets_for_display(Tweet.objects.filter(author=rich_tweets).select_related("author").order_by("id"), user)
    deferred = tweets_for_display(
        Tweet.objects.filter(author=rich_tweets).select_related("author").defer("text", "like_count").order_by("id"),
        user,
    )
    assert "text" not in deferred[0].__dict__
    assert dumps(render_tweets(deferred, request)) == dumps(render_tweets(full, request))


@pytest.mark.parametrize("anonymous", [False, True])
def test_render_tweets_refuses_a_tweet_without_display_data(user, rich_tweets, anonymous):
    viewer = AnonymousUser() if anonymous else user
    bare = Tweet.objects.select_related("author").filter(author=rich_tweets).first()
    with pytest.raises(MissingDisplayData):
        render_tweets([bare], request_for(viewer))
    without_author = tweets_for_display([Tweet.objects.filter(author=rich_tweets).first()], viewer)[0]
    with pytest.raises(MissingDisplayData):
        render_tweets([without_author], request_for(viewer))


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_render_tweets_in_the_current_time_zone(user, rich_tweets, auth_client, zone):
    """Timestamps in UTC render with ``Z`` without conversion only when the current time zone
    is UTC; in another zone they are converted as DRF converts them."""
    response = auth_client(user).get("/api/v1/timeline/home")
    ids = [item["id"] for item in response.json()["results"]]
    by_id = Tweet.objects.select_related("author").in_bulk(ids)
    tweets = tweets_for_display([by_id[tweet_id] for tweet_id in ids], user)
    request = request_for(user)
    with timezone.override(zone):
        rendered = render_tweets(tweets, request)
        assert dumps(rendered) == generic_json(tweets, {"request": request})
    assert rendered[0]["created_at"].endswith("Z") == (zone == "UTC")


def test_home_page_builds_no_model_instance_from_its_rows(user, rich_tweets, auth_client, monkeypatch):
    """The home view renders the statement's rows as they are: neither instances built from
    them nor the instance path's display data."""
    from tweets import display, selectors, visibility
    from tweets.feeds import pages

    def refuse(*args, **kwargs):
        raise AssertionError("the home page built model instances")

    client = auth_client(user)
    expected = client.get("/api/v1/timeline/home").content
    for module, name in [
        (visibility, "tweets_from_rows"),
        (visibility, "instance_from_row"),
        (pages, "tweets_from_rows"),
        (display, "attach_display_data"),
        (selectors, "attach_display_data"),
    ]:
        monkeypatch.setattr(module, name, refuse)
    monkeypatch.setattr(Tweet, "from_db", refuse)
    response = client.get("/api/v1/timeline/home")
    assert response.status_code == 200
    assert response.content == expected


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_home_page_in_the_current_time_zone(user, rich_tweets, auth_client, zone):
    """The home view's rows render their timestamps in the current time zone, as DRF does."""
    client = auth_client(user)
    with timezone.override(zone):
        response = client.get("/api/v1/timeline/home")
        results = response.json()["results"]
        ids = [item["id"] for item in results]
        by_id = Tweet.objects.select_related("author").in_bulk(ids)
        tweets = tweets_for_display([by_id[tweet_id] for tweet_id in ids], user)
        assert dumps(results) == generic_json(tweets, {"request": response.wsgi_request})
    assert results[0]["created_at"].endswith("Z") == (zone == "UTC")
    assert any(item["edited_at"] for item in results)
