"""notification_create: exclusions, de-duplication, and push only after commit."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import transaction

from accounts.tests.factories import UserFactory
from notifications import services
from notifications.models import Notification

from .factories import block, mute, tweet

pytestmark = pytest.mark.django_db


def test_creates_and_pushes_after_commit(user, other_user, push, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = services.notification_create(recipient_id=user.pk, actor_id=other_user.pk, type="follow")
    assert notification is not None and Notification.objects.filter(pk=notification.pk).exists()
    push.assert_not_called()  # not before the commit
    for callback in callbacks:
        callback()
    push.assert_called_once_with([notification.pk])


def test_creating_costs_a_fixed_number_of_queries(user, other_user, push, django_assert_num_queries):
    with django_assert_num_queries(4):  # exclusions, savepoint, insert, release
        assert services.notification_create(recipient_id=user.pk, actor_id=other_user.pk, type="follow")


def test_nobody_is_notified_of_their_own_action(user, push):
    assert services.notification_create(recipient_id=user.pk, actor_id=user.pk, type="follow") is None
    assert not Notification.objects.exists()


def test_no_notification_from_a_user_the_recipient_blocks(user, other_user, push):
    block(user, other_user)
    assert services.notification_create(recipient_id=user.pk, actor_id=other_user.pk, type="follow") is None
    assert not Notification.objects.exists()


def test_no_notification_from_a_user_the_recipient_mutes(user, other_user, push):
    mute(user, other_user)
    post = tweet(user)
    assert (
        services.notification_create(recipient_id=user.pk, actor_id=other_user.pk, type="like", tweet_id=post.pk)
        is None
    )
    assert not Notification.objects.exists()


def test_only_the_recipients_own_mutes_exclude(user, other_user, push):
    # Only the recipient's own blocks and mutes exclude; the reverse direction is the actor's business.
    mute(other_user, user)
    assert services.notification_create(recipient_id=user.pk, actor_id=other_user.pk, type="follow") is not None


def test_like_unlike_like_does_not_stack_up(user, other_user, push, django_capture_on_commit_callbacks):
    post = tweet(user)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.notification_create(
            recipient_id=user.pk, actor_id=other_user.pk, type="like", tweet_id=post.pk
        )
        again = services.notification_create(
            recipient_id=user.pk, actor_id=other_user.pk, type="like", tweet_id=post.pk
        )
    assert first is not None and again is None
    assert Notification.objects.count() == 1
    push.assert_called_once_with([first.pk])


def test_the_same_actor_on_another_tweet_or_another_type_is_a_new_notification(user, other_user, push):
    one, two = tweet(user), tweet(user)
    assert services.notification_create(recipient_id=user.pk, actor_id=other_user.pk, type="like", tweet_id=one.pk)
    assert services.notification_create(recipient_id=user.pk, actor_id=other_user.pk, type="like", tweet_id=two.pk)
    assert services.notification_create(recipient_id=user.pk, actor_id=other_user.pk, type="retweet", tweet_id=one.pk)
    assert Notification.objects.count() == 3


def test_a_duplicate_inside_an_outer_transaction_keeps_that_transaction_usable(user, other_user, push):
    post = tweet(user)
    with transaction.atomic():
        services.notification_create(recipient_id=user.pk, actor_id=other_user.pk, type="like", tweet_id=post.pk)
        services.notification_create(recipient_id=user.pk, actor_id=other_user.pk, type="like", tweet_id=post.pk)
        UserFactory()  # the transaction is not broken by the IntegrityError
    assert Notification.objects.count() == 1


def test_rolled_back_action_stores_and_pushes_nothing(user, other_user, push, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.notification_create(recipient_id=user.pk, actor_id=other_user.pk, type="follow")
        raise RuntimeError("the action failed")
    assert callbacks == []
    assert not Notification.objects.exists()
    push.assert_not_called()


def test_unknown_type_is_a_programming_error(user, other_user):
    with pytest.raises(ValueError):
        services.notification_create(recipient_id=user.pk, actor_id=other_user.pk, type="poke")


def test_mark_read_only_touches_the_recipients_own(user, other_user):
    theirs = Notification.objects.create(recipient=other_user, actor=user, type="follow", dedup_key="k")
    assert services.notification_mark_read(recipient_id=user.pk, notification_id=theirs.pk) is False
    theirs.refresh_from_db()
    assert theirs.read is False
    assert services.notification_mark_read(recipient_id=other_user.pk, notification_id=theirs.pk) is True
    theirs.refresh_from_db()
    assert theirs.read is True


def test_push_sends_each_notification_to_its_recipients_group(user, other_user):
    from twitterclone.broadcast import user_group_name

    a = Notification.objects.create(recipient=user, actor=other_user, type="follow", dedup_key="a")
    b = Notification.objects.create(recipient=other_user, actor=user, type="follow", dedup_key="b")
    sent = dict(services.push_messages([a.pk, b.pk]))
    assert set(sent) == {user_group_name(user.pk), user_group_name(other_user.pk)}
    message = sent[user_group_name(user.pk)]
    assert message["type"] == "notification.push"
    assert message["notification"]["id"] == a.pk
    assert message["notification"]["actor"]["username"] == other_user.username


def test_pushed_tweet_is_rendered_for_the_recipient(user, other_user):
    from tweets.models import Like

    post = tweet(user, "mine")
    Like.objects.create(user=user, tweet=post)  # the recipient liked their own tweet
    a = Notification.objects.create(recipient=user, actor=other_user, type="like", tweet=post, dedup_key="a")
    ((_group, message),) = services.push_messages([a.pk])
    pushed = message["notification"]["tweet"]
    assert pushed["id"] == post.pk and pushed["text"] == "mine"
    assert pushed["liked"] is True  # viewer state is the recipient's


def test_one_push_of_several_recipients_renders_the_tweet_for_each(user, other_user):
    from tweets.models import Visibility

    from .factories import follow

    author = UserFactory()
    private = tweet(author, "followers only", visibility=Visibility.FOLLOWERS)
    follow(user, author)  # user may see it, other_user may not
    a = Notification.objects.create(recipient=user, actor=author, type="mention", tweet=private, dedup_key="a")
    b = Notification.objects.create(recipient=other_user, actor=author, type="mention", tweet=private, dedup_key="b")
    messages = services.push_messages([a.pk, b.pk])
    pushed = {message["notification"]["id"]: message["notification"] for _group, message in messages}
    assert pushed[a.pk]["tweet"]["id"] == private.pk
    assert pushed[b.pk]["tweet"] is None


def test_push_survives_an_unavailable_channel_layer(user, other_user, django_capture_on_commit_callbacks):
    layer = mock.AsyncMock()
    layer.group_send.side_effect = ConnectionError("redis down")
    with (
        mock.patch("channels.layers.get_channel_layer", return_value=layer),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = services.notification_create(recipient_id=user.pk, actor_id=other_user.pk, type="follow")
    assert layer.group_send.await_count == 1  # tried, failed, swallowed
    assert Notification.objects.filter(pk=notification.pk).exists()  # still listed over REST
