import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts.models import User
from social.models import Follow
from tweets.models import Like, Tweet

pytestmark = pytest.mark.django_db


def snapshot():
    follows = sorted(Follow.objects.values_list("follower__username", "followee__username"))
    texts = list(Tweet.objects.order_by("id").values_list("author__username", "text"))
    return follows, texts


def seed(seed=7):
    call_command(
        "seed_network",
        users=60,
        tweets_per_user=8,
        follows_per_user=10,
        seed=seed,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


def test_seed_network_builds_a_consistent_skewed_network():
    seed()
    assert User.objects.count() == 60
    assert Tweet.objects.count() == 480
    # Counters equal the rows they count.
    for user in User.objects.annotate(
        f=Count("follower_links", distinct=True), g=Count("following_links", distinct=True)
    ):
        assert user.followers_count == user.f
        assert user.following_count == user.g
    for tweet in Tweet.objects.annotate(n=Count("likes")):
        assert tweet.like_count == tweet.n
    # Replies, retweets and quotes exist and point backwards in time.
    replies = Tweet.objects.filter(reply_to__isnull=False)
    assert replies.exists()
    assert all(t.reply_to_id < t.id for t in replies)
    assert Tweet.objects.filter(retweet_of__isnull=False).exists()
    assert Like.objects.exists()
    # Skewed: the most followed account has many times the median followers.
    counts = sorted(User.objects.values_list("followers_count", flat=True))
    assert counts[-1] >= 4 * max(counts[len(counts) // 2], 1)
    # Ids grow with time, as the timelines' keyset pagination expects.
    created = list(Tweet.objects.order_by("id").values_list("created_at", flat=True))
    assert created == sorted(created)


def test_seed_network_is_deterministic():
    seed()
    first = snapshot()
    User.objects.all().delete()
    seed()
    assert snapshot() == first
    User.objects.all().delete()
    seed(seed=8)
    assert snapshot() != first
