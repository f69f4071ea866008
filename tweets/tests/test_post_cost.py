"""What posting a tweet costs, and that the cheaper path keeps every effect: hashtags linked in
one statement when they exist (three when some are new, also when another post creates one
meanwhile), the live messages built from the tweet in hand (the same messages as reading it back
after commit), the outbox row deleted in one statement once the broker took the task."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tweets import live, services
from tweets.models import Hashtag, Tweet, TweetHashtag

pytestmark = pytest.mark.django_db


def _tags(tweet) -> set[str]:
    return set(TweetHashtag.objects.filter(tweet=tweet).values_list("hashtag__name", flat=True))


def test_hashtags_existing_new_and_mixed_are_all_linked(user):
    first = services.tweet_create(author=user, text="#Alpha and #beta")
    assert _tags(first) == {"alpha", "beta"}
    second = services.tweet_create(author=user, text="#beta #gamma #ALPHA")  # one new, two existing
    assert _tags(second) == {"alpha", "beta", "gamma"}
    assert Hashtag.objects.filter(name__in=["alpha", "beta", "gamma"]).count() == 3
    assert set(TweetHashtag.objects.filter(tweet=first).values_list("hashtag__name", flat=True)) == {"alpha", "beta"}


def test_hashtags_that_all_exist_cost_one_statement(user):
    services.tweet_create(author=user, text="#one #two")
    with CaptureQueriesContext(connection) as queries:
        tweet = services.tweet_create(author=user, text="again #two #one")
    hashtag_statements = [q["sql"] for q in queries if "tweets_hashtag" in q["sql"]]
    assert len(hashtag_statements) == 1, hashtag_statements
    assert _tags(tweet) == {"one", "two"}


def test_a_hashtag_created_by_someone_else_meanwhile_is_still_linked(user, monkeypatch):
    """The first link statement misses the new tag; between it and the creation another post
    creates it (the creation then does nothing); the second link statement links it."""
    real = Hashtag.objects.bulk_create

    def racing(objects, **kwargs):
        Hashtag.objects.create(name="raced")  # the other post won the race
        return real(objects, **kwargs)

    monkeypatch.setattr(Hashtag.objects, "bulk_create", racing)
    tweet = services.tweet_create(author=user, text="#raced")
    assert _tags(tweet) == {"raced"}


@pytest.mark.parametrize(
    "text,visibility",
    [("plain", "public"), ("#Tag and #other", "public"), ("#secret", "followers")],
)
def test_live_messages_of_a_new_tweet_are_those_read_back_after_commit(
    user, other_user, monkeypatch, django_capture_on_commit_callbacks, text, visibility
):
    sent = []
    monkeypatch.setattr("twitterclone.broadcast.group_send_many", lambda messages: sent.extend(messages))
    with django_capture_on_commit_callbacks(execute=True):
        tweet = services.tweet_create(author=user, text=text, visibility=visibility)
    key = lambda pair: (pair[0], sorted(pair[1].items()))  # noqa: E731
    assert sorted(sent, key=key) == sorted(live._messages_for_stored(tweet.pk, "update"), key=key)
    assert sent  # the author group at least
    if visibility == "public":  # a retweet: the author group only, built without a read too
        sent.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.retweet_create(user=other_user, tweet_id=tweet.pk)
        retweet = Tweet.objects.get(author=other_user, retweet_of=tweet)
        sent = [pair for pair in sent if pair[1]["type"] == live.EVENT_TYPE]  # not the notification
        assert sorted(sent, key=key) == sorted(live._messages_for_stored(retweet.pk, "update"), key=key)


@pytest.mark.django_db(transaction=True)
def test_the_published_outbox_row_is_deleted_in_one_statement(user):
    from outbox.models import PendingTask
    from outbox.services import pending_task_add, pending_task_publish

    row = pending_task_add(task="tweets.tasks.fan_out_tweet", args=[0])
    with CaptureQueriesContext(connection) as queries:
        assert pending_task_publish(row)
    assert not PendingTask.objects.filter(pk=row.pk).exists()
    statements = [q["sql"] for q in queries]
    assert [s for s in statements if "outbox_pendingtask" in s and s.startswith("DELETE")], statements
    assert not [s for s in statements if s in ("BEGIN", "COMMIT") or "SAVEPOINT" in s], statements
