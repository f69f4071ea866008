"""What posting a tweet costs, and that the cheaper path keeps every effect: hashtags linked in
one statement when they exist (three when some are new, also when another post creates one
meanwhile), the live messages built from the tweet in hand (the same messages as reading it back
after commit), the outbox row deleted in one statement once the broker took the task."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from tweets import hydration, live, services
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


def _tweet_statements(queries, verb: str) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith(verb) and '"tweets_tweet"' in q["sql"]]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the id is taken from the sequence on PostgreSQL")
def test_a_new_conversation_gets_its_id_in_the_insert(user, other_user):
    before = type(user).objects.get(pk=user.pk).tweets_count
    with CaptureQueriesContext(connection) as queries:
        tweet = services.tweet_create(author=user, text="a new conversation")
    assert not _tweet_statements(queries, "UPDATE"), [q["sql"] for q in queries]
    stored = Tweet.objects.get(pk=tweet.pk)
    assert stored.conversation_id == tweet.pk == tweet.conversation_id
    assert type(user).objects.get(pk=user.pk).tweets_count == before + 1
    # A quote starts a conversation too (its counter first, then the author's); a reply joins its parent's.
    quote = services.tweet_create(author=other_user, text="quoting", quote_of_id=tweet.pk)
    reply = services.tweet_create(author=other_user, text="replying", reply_to_id=quote.pk)
    assert Tweet.objects.get(pk=quote.pk).conversation_id == quote.pk
    assert Tweet.objects.get(pk=reply.pk).conversation_id == quote.pk
    assert Tweet.objects.get(pk=tweet.pk).quote_count == 1 and Tweet.objects.get(pk=quote.pk).reply_count == 1
    assert type(user).objects.get(pk=other_user.pk).tweets_count == 2
    # The ids stay those of the sequence: a tweet made the ORM's way comes after.
    later = Tweet.objects.create(author=user, text="later")
    assert later.pk > reply.pk > quote.pk > tweet.pk


def test_hashtags_are_linked_in_the_order_of_the_text(user):
    services.tweet_create(author=user, text="#alpha #mu #zeta")  # they all exist from here on
    tweet = services.tweet_create(author=user, text="#zeta then #alpha then #mu")
    links = TweetHashtag.objects.filter(tweet=tweet).order_by("id").values_list("hashtag__name", flat=True)
    assert list(links) == ["zeta", "alpha", "mu"]


def test_a_new_tweet_is_hydrated_without_a_query(user, other_user, django_capture_on_commit_callbacks):
    """The hydration kept for a new tweet is what the database gives (hashtags and mentions in
    order): in this process at once, in the shared cache (for the other processes) after commit."""
    third = UserFactory(username="thirdone")
    services.tweet_create(author=user, text="#mu #alpha")
    with django_capture_on_commit_callbacks() as callbacks:
        tweet = services.tweet_create(author=user, text=f"#alpha @{third.username} #mu @{other_user.username} #alpha")
    stored = Tweet.objects.get(pk=tweet.pk)
    kept_entry = hydration._local[tweet.pk]
    loaded = hydration._load([tweet.pk], {})[tweet.pk]
    assert kept_entry[5:] == loaded  # hashtags and mentioned ids, in the database's order
    assert loaded[0] == ["alpha", "mu"] and set(loaded[1]) == {third.pk, other_user.pk}
    with CaptureQueriesContext(connection) as queries:
        kept = hydration.hydrate([stored])[tweet.pk]
    # No link read: only the mentioned users' current names (they are not authors on the page).
    assert [q["sql"] for q in queries if "tweets_" in q["sql"]] == []
    names = {third.pk: "thirdone", other_user.pk: other_user.username}
    assert kept.mentions == [{"id": user_id, "username": names[user_id]} for user_id in loaded[1]]
    assert cache.get(hydration._key(tweet.pk)) is None  # not before commit
    for callback in callbacks:
        callback()
    hydration.forget_local()  # another process: the shared cache has it
    assert cache.get(hydration._key(tweet.pk))[5:] == loaded
    with CaptureQueriesContext(connection) as queries:
        assert hydration.hydrate([stored])[tweet.pk] == kept
    assert [q["sql"] for q in queries if "tweets_" in q["sql"]] == []


def test_a_tweet_with_a_new_hashtag_is_not_kept_before_its_links_are_read(user):
    """When a hashtag had to be created, the links are not in the text's order: nothing is kept,
    and the first read loads them."""
    services.tweet_create(author=user, text="#old")
    tweet = services.tweet_create(author=user, text="#brandnew #old")
    with CaptureQueriesContext(connection) as queries:
        got = hydration.hydrate([Tweet.objects.get(pk=tweet.pk)])[tweet.pk]
    assert [q for q in queries if "tweets_tweethashtag" in q["sql"]]
    assert got.hashtags == ["old", "brandnew"]


def test_posting_answers_without_reading_the_links(user, auth_client):
    client = auth_client(user)
    client.post("/api/v1/tweets", {"text": "#warm"}, format="json")
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/tweets", {"text": "hello #warm"}, format="json")
    assert response.status_code == 201
    assert response.json()["hashtags"] == ["warm"]
    assert not [q for q in queries if "tweets_tweethashtag" in q["sql"] and q["sql"].startswith("SELECT")]
    assert not [q for q in queries if "tweets_mention" in q["sql"]]
