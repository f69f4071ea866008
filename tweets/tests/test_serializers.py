"""The hand-built tweet rendering matches DRF's field-by-field rendering exactly, and
rendering runs no query."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.tests.factories import UserFactory
from social import services as social
from tweets import services
from tweets.models import Tweet
from tweets.selectors import tweets_for_display
from tweets.serializers import (
    EmbeddedTweetSerializer,
    MissingDisplayData,
    ReferencedTweetSerializer,
    TweetSerializer,
)

pytestmark = pytest.mark.django_db


def request_for(user):
    request = Request(APIRequestFactory().get("/"))
    request.user = user
    return request


@pytest.fixture
def rich_tweets(user):
    author, other = UserFactory(), UserFactory()
    social.follow_create(follower=user, followee=author)
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
