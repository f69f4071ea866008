"""A like, retweet or bookmark racing a delete of the same tweet never answers 500.

PostgreSQL checks Django's foreign keys at COMMIT (they are DEFERRABLE INITIALLY DEFERRED), so
an insert that references a tweet deleted meanwhile used to pass its savepoint and fail when
the transaction committed: an IntegrityError no handler expected. Real threads, each with its
own connection, released together by a barrier, many times: every interaction must end as a
200 (it won the race and the delete then removed its row with the tweet) or a 404 (the tweet
was gone), the delete as a 204, and nothing may reference the deleted tweet afterwards.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from notifications.models import Notification
from tweets import services
from tweets.models import Bookmark, Like, Tweet

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 30


def race(*calls):
    """Runs the calls at once, one thread (and database connection) each; returns their results."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as exc:  # reported by the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("action", ["like", "retweet", "bookmark"])
def test_an_interaction_racing_the_tweets_delete_is_a_200_or_a_404(auth_client, settings, action):
    settings.RATE_LIMITS_ENABLED = False
    author, fans = UserFactory(), [UserFactory() for _ in range(3)]
    author_client = auth_client(author)
    fan_clients = [auth_client(fan) for fan in fans]
    outcomes: dict[int, int] = {}
    for _ in range(ROUNDS):
        tweet = services.tweet_create(author=author, text="soon gone")
        url = f"/api/v1/tweets/{tweet.pk}"
        calls = [lambda client=client: client.post(f"{url}/{action}") for client in fan_clients]
        *interactions, deletion = race(*calls, lambda: author_client.delete(url))
        assert deletion.status_code == 204, deletion
        for response in interactions:
            assert not isinstance(response, Exception), repr(response)
            assert response.status_code in (200, 404), (response.status_code, response.content[:300])
            outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1
        assert not Tweet.objects.filter(pk=tweet.pk).exists()
        assert not Tweet.objects.filter(retweet_of_id=tweet.pk).exists()
        assert not Like.objects.filter(tweet_id=tweet.pk).exists()
        assert not Bookmark.objects.filter(tweet_id=tweet.pk).exists()
        assert not Notification.objects.filter(tweet_id=tweet.pk).exists()
    author.refresh_from_db()
    assert author.tweets_count == 0
    for fan in fans:
        fan.refresh_from_db()
        assert fan.tweets_count == 0  # a retweet deleted with its original is uncounted too
    print(f"{action}: {outcomes}")  # both outcomes happen over the rounds
