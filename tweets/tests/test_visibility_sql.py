"""The constant SQL statements of tweets.visibility say exactly what the ORM rule
(``Tweet.objects.visible_to`` and the home filter) says, on a matrix of every case: hidden,
suspended and inactive authors, followers-only, blocks both ways, mutes, retweets of each."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from accounts.models import User
from accounts.tests.factories import UserFactory
from social import services as social
from social.models import Follow, Mute
from tweets import services
from tweets.models import Like, Mention, Tweet
from tweets.visibility import embedded_tweets, home_tweets, home_tweets_with_embedded, visible_tweets

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Viewers and authors in every relation, each author with a public and a followers-only
    tweet, and retweets of all of them by a plain followed account."""
    viewer, stranger = UserFactory(), UserFactory()
    authors = {name: UserFactory(username=f"a_{name}") for name in ("plain", "hidden", "suspended", "inactive")}
    authors.update(
        blocks_viewer=UserFactory(username="a_blocks"),
        blocked=UserFactory(username="a_blocked"),
        muted=UserFactory(username="a_muted"),
        unfollowed=UserFactory(username="a_unfollowed"),
        retweeter=UserFactory(username="a_retweeter"),
    )
    for name, author in authors.items():
        if name != "unfollowed":
            social.follow_create(follower=viewer, followee=author)
    originals = []
    for name, author in authors.items():
        for visibility in ("public", "followers"):
            originals.append(services.tweet_create(author=author, text=f"{name} {visibility}", visibility=visibility))
    originals.append(services.tweet_create(author=viewer, text="mine"))
    retweeter = authors["retweeter"]
    for original in originals:
        if original.visibility == "public" and original.author_id != retweeter.pk:
            services.retweet_create(user=retweeter, tweet_id=original.pk)
    # Changes after the retweets (a retweet of what is invisible cannot be made any more).
    Tweet.objects.filter(author=authors["hidden"]).update(is_hidden=True)
    User.objects.filter(pk=authors["suspended"].pk).update(is_suspended=True)
    User.objects.filter(pk=authors["inactive"].pk).update(is_active=False)
    social.block_create(blocker=authors["blocks_viewer"], blocked=viewer)
    social.mute_create(muter=viewer, muted=authors["muted"])
    social.block_create(blocker=viewer, blocked=authors["blocked"])
    return {"viewer": viewer, "stranger": stranger, "authors": authors}


def _orm_home_ids(viewer, ids):
    followees = Follow.objects.filter(follower_id=viewer.pk).values("followee_id")
    muted = Mute.objects.filter(muter_id=viewer.pk).values("muted_id")
    return set(
        Tweet.objects.visible_to(viewer)
        .filter(pk__in=ids)
        .filter(Q(author_id=viewer.pk) | Q(author_id__in=followees))
        .exclude(author_id__in=muted)
        .exclude(retweet_of__author_id__in=muted)
        .values_list("id", flat=True)
    )


@pytest.mark.parametrize("who", ["viewer", "stranger", "anonymous", "hidden_author", "suspended_author"])
def test_visible_statement_equals_the_orm_rule(world, who):
    viewer = {
        "viewer": world["viewer"],
        "stranger": world["stranger"],
        "anonymous": AnonymousUser(),
        "hidden_author": world["authors"]["hidden"],
        "suspended_author": world["authors"]["suspended"],
    }[who]
    all_ids = list(Tweet.objects.values_list("id", flat=True))
    expected = set(Tweet.objects.visible_to(viewer).values_list("id", flat=True))
    viewer_id = viewer.pk if viewer.is_authenticated else None
    assert set(visible_tweets(viewer_id=viewer_id, ids=all_ids)) == expected
    assert 0 < len(expected) < len(all_ids)
    originals = list(Tweet.objects.filter(retweet_of__isnull=True).values_list("id", flat=True))
    expected_originals = set(Tweet.objects.visible_to(viewer, retweets=False).values_list("id", flat=True))
    assert set(embedded_tweets(viewer_id=viewer_id, ids=originals)) == expected_originals


@pytest.mark.parametrize("who", ["viewer", "stranger", "retweeter"])
def test_home_statement_equals_the_orm_home_filter(world, who):
    viewer = world["authors"]["retweeter"] if who == "retweeter" else world[who]
    all_ids = list(Tweet.objects.values_list("id", flat=True))
    expected = _orm_home_ids(viewer, all_ids)
    assert set(home_tweets(viewer_id=viewer.pk, ids=all_ids)) == expected
    if who == "viewer":
        texts = {tweet.text for tweet in home_tweets(viewer_id=viewer.pk, ids=all_ids).values()}
        assert texts == {"plain public", "plain followers", "retweeter public", "retweeter followers", "mine"} | {""}


def test_rows_come_with_their_authors_and_typed_values(world):
    viewer = world["viewer"]
    tweet = Tweet.objects.filter(author=world["authors"]["plain"], visibility="public").get()
    loaded = visible_tweets(viewer_id=viewer.pk, ids=[tweet.pk])[tweet.pk]
    assert loaded.author.username == "a_plain" and loaded.is_hidden is False
    assert loaded.created_at == tweet.created_at and loaded.created_at.tzinfo is not None
    assert Tweet._meta.get_field("author").is_cached(loaded)


def _values(tweet):
    return {name: value for name, value in tweet.__dict__.items() if name != "_state"}


@pytest.mark.parametrize("who", ["viewer", "retweeter"])
def test_home_statement_with_embedded_equals_the_two_statements(world, who):
    """The home page's one statement gives the home statement's rows and the embedded
    statement's rows for them: quotes of every kind of tweet (hidden, suspended, blocked...),
    retweets of those quotes, and of the originals."""
    viewer = world["authors"]["retweeter"] if who == "retweeter" else world[who]
    plain, retweeter = world["authors"]["plain"], world["authors"]["retweeter"]
    for original in list(Tweet.objects.filter(retweet_of__isnull=True)):
        quote = Tweet.objects.create(author=plain, text=f"quoting {original.pk}", quote_of_id=original.pk)
        Mention.objects.create(tweet=quote, user=original.author)
        Tweet.objects.create(author=retweeter, text="", retweet_of_id=quote.pk)
    all_ids = list(Tweet.objects.values_list("id", flat=True))
    home, embedded, usernames = home_tweets_with_embedded(viewer_id=viewer.pk, ids=all_ids)
    expected_home = home_tweets(viewer_id=viewer.pk, ids=all_ids)
    assert {pk: _values(tweet) for pk, tweet in home.items()} == {
        pk: _values(tweet) for pk, tweet in expected_home.items()
    }
    retweeted = {tweet.retweet_of_id for tweet in expected_home.values() if tweet.retweet_of_id}
    quoted = {tweet.quote_of_id for tweet in expected_home.values() if tweet.quote_of_id}
    expected_embedded = embedded_tweets(viewer_id=viewer.pk, ids=quoted | retweeted, quoted_by=retweeted)
    assert len(expected_embedded) > 5
    assert {pk: _values(tweet) for pk, tweet in embedded.items()} == {
        pk: _values(tweet) for pk, tweet in expected_embedded.items()
    }
    assert all(Tweet._meta.get_field("author").is_cached(tweet) for tweet in embedded.values())
    assert home_tweets_with_embedded(viewer_id=viewer.pk, ids=[]) == ({}, {}, {})
    # The usernames of the users mentioned in any of them (the quotes mention their author).
    shown = [*home.values(), *embedded.values()]
    expected_usernames = dict(
        Mention.objects.filter(tweet__in=shown).values_list("user_id", "user__username").distinct()
    )
    assert expected_usernames and usernames == expected_usernames


def test_rows_build_the_instances_from_db_builds(world):
    """The statements' rows become the instances Django's ``from_db`` gives (the same fields,
    state and cached author), whichever way they are built (inline for typed rows)."""
    viewer = world["viewer"]
    ids = list(Tweet.objects.values_list("id", flat=True))
    loaded = visible_tweets(viewer_id=viewer.pk, ids=ids)
    assert len(loaded) > 5
    from_db = Tweet.objects.select_related("author").in_bulk(list(loaded))
    viewer_fields = {"viewer_liked", "viewer_bookmarked", "viewer_retweeted", "viewer_state_of"}
    for pk, tweet in loaded.items():
        expected = from_db[pk]
        assert {k: v for k, v in tweet.__dict__.items() if k not in viewer_fields | {"_state"}} == {
            k: v for k, v in expected.__dict__.items() if k != "_state"
        }
        assert tweet.viewer_state_of == viewer.pk and isinstance(tweet.viewer_liked, bool)
        assert (
            (tweet._state.adding, tweet._state.db) == (expected._state.adding, expected._state.db) == (False, "default")
        )
        assert tweet._state.fields_cache.keys() == {"author"}
        author, expected_author = tweet.author, expected.author
        assert {k: v for k, v in author.__dict__.items() if k != "_state"} == {
            k: v for k, v in expected_author.__dict__.items() if k in author.__dict__ and k != "_state"
        }
        assert author.pk == tweet.author_id


def test_every_statement_reads_the_viewers_own_state(world):
    """Liked, bookmarked and retweeted come from the viewer's own likes, bookmarks and retweets
    (not another user's), for the rows of every statement, whichever ids are asked for."""
    viewer, plain = world["viewer"], world["authors"]["plain"]
    public, followers = (
        Tweet.objects.filter(author=plain, visibility=visibility).get() for visibility in ("public", "followers")
    )
    services.like_create(user=viewer, tweet_id=public.pk)
    services.bookmark_create(user=viewer, tweet_id=followers.pk)
    services.retweet_create(user=viewer, tweet_id=public.pk)
    other = world["authors"]["retweeter"]
    Like.objects.create(user=other, tweet=followers)  # (other does not follow plain: no service call)
    services.bookmark_create(user=other, tweet_id=public.pk)
    quote = services.tweet_create(author=plain, text="quoting", quote_of_id=public.pk)
    services.retweet_create(user=other, tweet_id=quote.pk)
    expected = {
        public.pk: (True, False, True),
        followers.pk: (False, True, False),
        quote.pk: (False, False, False),
    }

    def state(tweets):
        return {
            pk: (t.viewer_liked, t.viewer_bookmarked, t.viewer_retweeted) for pk, t in tweets.items() if pk in expected
        }

    ids = list(expected)
    assert state(visible_tweets(viewer_id=viewer.pk, ids=ids)) == expected
    assert state(home_tweets(viewer_id=viewer.pk, ids=ids)) == expected
    assert state(embedded_tweets(viewer_id=viewer.pk, ids=[public.pk, followers.pk])) == {
        pk: expected[pk] for pk in (public.pk, followers.pk)
    }
    home, embedded, _ = home_tweets_with_embedded(viewer_id=viewer.pk, ids=ids)
    assert state(home) == expected and state(embedded) == {public.pk: expected[public.pk]}
    for pk in ids:  # one id at a time: the state of the ids asked for only
        assert state(visible_tweets(viewer_id=viewer.pk, ids=[pk])) == {pk: expected[pk]}
        assert state(home_tweets_with_embedded(viewer_id=viewer.pk, ids=[pk]).tweets) == {pk: expected[pk]}
