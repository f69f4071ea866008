"""Counters stay exact under concurrent requests: real threads, each with its own PostgreSQL
connection, released together by a barrier.

At most WAVE requests run at once (the PostgreSQL server is shared, with a connection limit):
50 users act in waves of WAVE simultaneous requests."""

import threading

import pytest
from django.db import connection

from accounts.models import User
from accounts.tests.factories import UserFactory
from social.models import Follow
from tweets import services
from tweets.models import Like, Tweet

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAVE = 10


def run_together(calls):
    """Runs the callables in threads, WAVE at a time, each wave started at once. Returns
    the results (responses) and re-raises the first exception."""
    results, errors = [], []
    for start in range(0, len(calls), WAVE):
        wave = calls[start : start + WAVE]
        barrier = threading.Barrier(len(wave))

        def worker(call):
            try:
                barrier.wait(timeout=30)
                results.append(call())
            except Exception as exc:  # surfaced below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(call,)) for call in wave]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def post_as(auth_client, user, path):
    client = auth_client(user)
    return lambda: client.post(path)


def test_fifty_users_liking_at_once_give_fifty(auth_client):
    tweet = services.tweet_create(author=UserFactory(), text="popular")
    likers = [UserFactory() for _ in range(50)]
    responses = run_together([post_as(auth_client, liker, f"/api/v1/tweets/{tweet.pk}/like") for liker in likers])
    assert {response.status_code for response in responses} == {200}
    tweet.refresh_from_db()
    assert tweet.like_count == 50
    assert Like.objects.filter(tweet=tweet).count() == 50


def test_one_user_liking_many_times_at_once_counts_once(auth_client, user):
    tweet = services.tweet_create(author=UserFactory(), text="x")
    responses = run_together([post_as(auth_client, user, f"/api/v1/tweets/{tweet.pk}/like")] * WAVE)
    assert {response.status_code for response in responses} == {200}
    tweet.refresh_from_db()
    assert tweet.like_count == 1


def test_concurrent_unlikes_never_go_negative(auth_client, user):
    tweet = services.tweet_create(author=UserFactory(), text="x")
    services.like_create(user=user, tweet_id=tweet.pk)
    client = auth_client(user)
    run_together([lambda: client.delete(f"/api/v1/tweets/{tweet.pk}/like")] * WAVE)
    tweet.refresh_from_db()
    assert tweet.like_count == 0


def test_fifty_followers_at_once_give_fifty(auth_client):
    star = UserFactory()
    fans = [UserFactory() for _ in range(50)]
    responses = run_together([post_as(auth_client, fan, f"/api/v1/users/{star.username}/follow") for fan in fans])
    assert {response.status_code for response in responses} == {200}
    assert User.objects.get(pk=star.pk).followers_count == 50
    assert Follow.objects.filter(followee=star).count() == 50
    assert set(User.objects.filter(pk__in=[fan.pk for fan in fans]).values_list("following_count", flat=True)) == {1}


def test_one_user_following_many_times_at_once_counts_once(auth_client, user):
    star = UserFactory()
    run_together([post_as(auth_client, user, f"/api/v1/users/{star.username}/follow")] * WAVE)
    assert User.objects.get(pk=star.pk).followers_count == 1
    assert User.objects.get(pk=user.pk).following_count == 1


def test_opposite_follows_at_once_do_not_deadlock(auth_client):
    first, second = UserFactory(), UserFactory()
    calls = [post_as(auth_client, first, f"/api/v1/users/{second.username}/follow")] * (WAVE // 2) + [
        post_as(auth_client, second, f"/api/v1/users/{first.username}/follow")
    ] * (WAVE // 2)
    responses = run_together(calls)
    assert {response.status_code for response in responses} == {200}
    for user in (first, second):
        user = User.objects.get(pk=user.pk)
        assert (user.followers_count, user.following_count) == (1, 1)


def test_fifty_retweets_at_once_give_fifty(auth_client):
    tweet = services.tweet_create(author=UserFactory(), text="share me")
    fans = [UserFactory() for _ in range(50)]
    run_together([post_as(auth_client, fan, f"/api/v1/tweets/{tweet.pk}/retweet") for fan in fans])
    tweet.refresh_from_db()
    assert tweet.retweet_count == 50
    assert Tweet.objects.filter(retweet_of=tweet).count() == 50


def test_one_user_retweeting_many_times_at_once_counts_once(auth_client, user):
    tweet = services.tweet_create(author=UserFactory(), text="x")
    responses = run_together([post_as(auth_client, user, f"/api/v1/tweets/{tweet.pk}/retweet")] * WAVE)
    assert {response.status_code for response in responses} == {200}
    tweet.refresh_from_db()
    assert tweet.retweet_count == 1
    assert User.objects.get(pk=user.pk).tweets_count == 1


def test_concurrent_replies_count_exactly(auth_client):
    tweet = services.tweet_create(author=UserFactory(), text="discuss")
    repliers = [UserFactory() for _ in range(20)]

    def reply_as(user):
        client = auth_client(user)
        return lambda: client.post("/api/v1/tweets", {"text": "reply", "reply_to": tweet.pk}, format="json")

    responses = run_together([reply_as(user) for user in repliers])
    assert {response.status_code for response in responses} == {201}
    tweet.refresh_from_db()
    assert tweet.reply_count == 20
