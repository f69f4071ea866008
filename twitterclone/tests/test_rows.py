"""twitterclone.rows.instance_from_row builds what Model.from_db builds, without Model.__init__."""

from __future__ import annotations

import pytest
from django.db.models.signals import post_init

from accounts.models import User
from accounts.tests.factories import UserFactory
from tweets.models import Tweet
from tweets.visibility import AUTHOR_COLUMNS, TWEET_COLUMNS
from twitterclone.rows import instance_from_row

pytestmark = pytest.mark.django_db


def _state(instance) -> tuple:
    return instance._state.db, instance._state.adding, dict(instance._state.fields_cache)


def _row(instance, attnames) -> list:
    return [getattr(instance, name) for name in attnames]


def _same(model, attnames, values) -> tuple:
    slow = model.from_db("default", attnames, values)
    fast = instance_from_row(model, "default", attnames, values)
    assert type(fast) is model
    assert fast.__dict__.keys() - {"_state"} == slow.__dict__.keys() - {"_state"}
    assert {k: v for k, v in fast.__dict__.items() if k != "_state"} == {
        k: v for k, v in slow.__dict__.items() if k != "_state"
    }
    assert _state(fast) == _state(slow) == ("default", False, {})
    assert fast.get_deferred_fields() == slow.get_deferred_fields()
    return slow, fast


def test_a_tweet_row_gives_the_instance_from_db_gives():
    author = UserFactory()
    tweet = Tweet.objects.create(author=author, text="hello #tag")
    _slow, fast = _same(Tweet, TWEET_COLUMNS, _row(tweet, TWEET_COLUMNS))
    assert fast == tweet and fast.pk == tweet.pk and fast.author_id == author.pk
    assert fast.get_deferred_fields() == set()
    # The instance behaves as a loaded one: the FK loads on access, a save updates the row.
    assert fast.author == author
    fast.text = "edited"
    fast.save(update_fields=["text"])
    assert Tweet.objects.get(pk=tweet.pk).text == "edited"


def test_a_partial_user_row_defers_the_other_fields_and_runs_after_load():
    user = UserFactory(display_name="Ada")
    slow, fast = _same(User, AUTHOR_COLUMNS, _row(user, AUTHOR_COLUMNS))
    assert "email" in fast.get_deferred_fields()
    assert fast._loaded_is_active is True and slow._loaded_is_active is True
    assert fast.avatar.name == user.avatar.name and fast.display_name == "Ada"
    assert fast.email == user.email  # a deferred field loads from the database


def test_a_post_init_receiver_falls_back_to_from_db():
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    user = UserFactory()
    post_init.connect(receiver, sender=User)
    try:
        built = instance_from_row(User, "default", AUTHOR_COLUMNS, _row(user, AUTHOR_COLUMNS))
    finally:
        post_init.disconnect(receiver, sender=User)
    assert seen == [built]
    instance_from_row(User, "default", AUTHOR_COLUMNS, _row(user, AUTHOR_COLUMNS))
    assert len(seen) == 1  # without a receiver, Model.__init__ (which sends post_init) does not run
