"""The hand-built tweet rendering matches DRF's field-by-field rendering exactly."""

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.tests.factories import UserFactory
from social import services as social
from tweets import services
from tweets.models import Tweet
from tweets.selectors import tweets_for_display
from tweets.serializers import EmbeddedTweetSerializer, ReferencedTweetSerializer, TweetSerializer

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
    tweets = list(tweets_for_display(Tweet.objects.visible_to(viewer).order_by("-id"), viewer))
    assert len(tweets) >= 5
    for tweet in tweets:
        for serializer_class in (TweetSerializer, ReferencedTweetSerializer, EmbeddedTweetSerializer):
            serializer = serializer_class(tweet, context=context)
            assert serializer.data == serializer.generic_representation(tweet), (serializer_class, tweet.pk)
