"""The room_live fan-out: after commit, in batches, idempotent, pushing only what is new."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError, transaction

from accounts.tests.factories import UserFactory
from notifications import services, tasks
from notifications.models import Notification
from outbox.models import PendingTask
from rooms.models import RoomState

from .factories import block, follow, live_room, mute

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_follower_of_the_host_is_notified_after_commit(push):
    host = UserFactory()
    followers = UserFactory.create_batch(3)
    stranger = UserFactory()
    for f in followers:
        follow(f, host)
    room = live_room(host)
    with transaction.atomic():
        services.notify_room_live(room_id=room.pk)
        assert not Notification.objects.exists()  # nothing before commit
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {f.pk for f in followers}
    assert not Notification.objects.filter(recipient=stranger).exists()
    notification = Notification.objects.filter(recipient=followers[0]).get()
    assert (notification.type, notification.actor_id, notification.room_id) == ("room_live", host.pk, room.pk)
    pushed = [i for call in push.call_args_list for i in call.args[0]]
    assert sorted(pushed) == sorted(Notification.objects.values_list("pk", flat=True))


def test_rolled_back_start_notifies_nobody():
    host, fan = UserFactory(), UserFactory()
    follow(fan, host)
    room = live_room(host)
    with (
        mock.patch.object(tasks.fan_out_room_live, "apply_async") as sent,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.notify_room_live(room_id=room.pk)
        raise RuntimeError("abort")
    sent.assert_not_called()
    assert not Notification.objects.exists()
    assert not PendingTask.objects.exists()


def test_the_request_only_enqueues_the_fan_out():
    host, fan = UserFactory(), UserFactory()
    follow(fan, host)
    room = live_room(host)
    with mock.patch.object(tasks.fan_out_room_live, "apply_async") as sent, transaction.atomic():
        services.notify_room_live(room_id=room.pk)
    sent.assert_called_once()
    assert sent.call_args.kwargs["args"] == [room.pk]
    assert not Notification.objects.exists()
    assert not PendingTask.objects.exists()  # the broker took it: nothing left to retry


def test_followers_who_block_or_mute_the_host_or_are_suspended_are_skipped():
    host = UserFactory()
    fan, blocker, muter, suspended = UserFactory(), UserFactory(), UserFactory(), UserFactory(is_suspended=True)
    for f in (fan, blocker, muter, suspended):
        follow(f, host)
    block(blocker, host)
    mute(muter, host)
    room = live_room(host)
    with transaction.atomic():
        services.notify_room_live(room_id=room.pk)
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [fan.pk]


def test_fan_out_runs_in_batches_each_its_own_task(monkeypatch):
    host = UserFactory()
    fans = UserFactory.create_batch(5)
    for f in fans:
        follow(f, host)
    room = live_room(host)
    batches = list(services.room_live_recipient_batches(room_id=room.pk, batch_size=2))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert sorted(i for b in batches for i in b) == sorted(f.pk for f in fans)
    monkeypatch.setattr(services, "ROOM_LIVE_BATCH_SIZE", 2)
    with mock.patch.object(tasks.notify_room_live_batch, "apply_async") as sent:
        assert tasks.fan_out_room_live(room.pk) == 3
    assert [call.kwargs["args"] for call in sent.call_args_list] == [[room.pk, b] for b in batches]


def test_a_repeated_batch_creates_and_pushes_nothing_new(push):
    host = UserFactory()
    fans = UserFactory.create_batch(3)
    for f in fans:
        follow(f, host)
    room = live_room(host)
    ids = [f.pk for f in fans]
    first = services.room_live_notify_batch(room_id=room.pk, recipient_ids=ids[:2])
    again = services.room_live_notify_batch(room_id=room.pk, recipient_ids=ids)
    assert len(first) == 2 and len(again) == 1
    assert Notification.objects.count() == 3
    assert [call.args[0] for call in push.call_args_list] == [first, again]


def test_calling_notify_room_live_twice_notifies_once():
    host, fan = UserFactory(), UserFactory()
    follow(fan, host)
    room = live_room(host)
    for _ in range(2):
        with transaction.atomic():
            services.notify_room_live(room_id=room.pk)
    assert Notification.objects.filter(recipient=fan).count() == 1


def test_a_follower_who_unfollowed_before_their_batch_ran_is_skipped(push):
    host, stays, leaves = UserFactory(), UserFactory(), UserFactory()
    follow(stays, host)
    follow(leaves, host).delete()
    room = live_room(host)
    created = services.room_live_notify_batch(room_id=room.pk, recipient_ids=[stays.pk, leaves.pk])
    assert list(Notification.objects.filter(pk__in=created).values_list("recipient_id", flat=True)) == [stays.pk]


def test_fanned_out_notifications_list_like_any_other(auth_client):
    host, fan = UserFactory(), UserFactory()
    follow(fan, host)
    room = live_room(host, "Evening show")
    with transaction.atomic():
        services.notify_room_live(room_id=room.pk)
    (item,) = auth_client(fan).get("/api/v1/notifications").json()["results"]
    assert item["type"] == "room_live" and item["actor"]["id"] == host.pk and item["read"] is False
    assert item["room"] == {"id": room.pk, "title": "Evening show", "state": "live"}
    assert item["created_at"].endswith("Z")


def test_a_room_that_ended_before_the_fan_out_notifies_nobody():
    host, fan = UserFactory(), UserFactory()
    follow(fan, host)
    room = live_room(host)
    room.state = RoomState.ENDED
    room.save()
    assert tasks.fan_out_room_live(room.pk) == 0
    assert services.room_live_notify_batch(room_id=room.pk, recipient_ids=[fan.pk]) == []
    assert not Notification.objects.exists()


def test_batch_task_retries_on_database_errors():
    assert OperationalError in tasks.notify_room_live_batch.autoretry_for or any(
        issubclass(OperationalError, e) for e in tasks.notify_room_live_batch.autoretry_for
    )
    assert tasks.notify_room_live_batch.acks_late and tasks.fan_out_room_live.acks_late
    host, fan = UserFactory(), UserFactory()
    follow(fan, host)
    room = live_room(host)
    real = services.room_live_notify_batch
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("database went away")
        return real(**kwargs)

    with (
        mock.patch.object(services, "room_live_notify_batch", side_effect=flaky),
        mock.patch.object(tasks.notify_room_live_batch, "retry_backoff", False),
    ):
        result = tasks.notify_room_live_batch.apply(args=(room.pk, [fan.pk]), throw=False)
    assert result.successful(), result.traceback
    assert len(calls) == 2
    assert Notification.objects.filter(recipient=fan, type="room_live").count() == 1
