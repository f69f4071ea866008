"""twitterclone.effects: side effects leave only after commit, a broker or channel layer that
fails never reaches the caller nor stops later hooks, and outboxed tasks survive a broker
outage and are published exactly once when it is back."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from outbox.models import PendingTask
from outbox.services import PUBLISH_GRACE, outbox_drain
from tests.brokers import celery_broker, closed_port_broker_url, memory_queue_messages
from twitterclone import effects

pytestmark = pytest.mark.django_db

TASK = "tweets.tasks.fan_out_tweet"  # any real task: nothing runs it here (no worker, not eager)


class Rollback(Exception):
    pass


def test_nothing_leaves_a_rolled_back_transaction(django_capture_on_commit_callbacks):
    ran = []
    with celery_broker("memory://"), django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Rollback), transaction.atomic():
            effects.task_after_commit(TASK, 1)
            effects.after_commit(ran.append, "local")
            effects.push_after_commit([("user.1", {"type": "notification.push"})])
            raise Rollback
        assert memory_queue_messages() == []
    assert callbacks == [] and ran == []
    assert not PendingTask.objects.exists()


def test_a_committed_task_is_published_once_and_leaves_the_outbox(django_capture_on_commit_callbacks):
    with celery_broker("memory://"):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            effects.task_after_commit(TASK, 7)
            assert PendingTask.objects.get().args == [7]  # written in the same transaction
        messages = memory_queue_messages()
    assert [(m["task"], m["args"]) for m in messages] == [(TASK, [7])]
    assert not PendingTask.objects.exists()


def test_broker_down_the_caller_is_unharmed_and_later_hooks_still_run(django_capture_on_commit_callbacks):
    ran = []
    with celery_broker(closed_port_broker_url()):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            effects.task_after_commit(TASK, 1)
            effects.after_commit(ran.append, "after the failed publish")
        elapsed = time.monotonic() - started
    assert ran == ["after the failed publish"]
    assert elapsed < 2, f"a refused broker held the commit for {elapsed:.1f} s"
    row = PendingTask.objects.get()
    assert row.attempts == 1 and "OperationalError" in row.last_error
    assert row.next_attempt_at > timezone.now()  # backed off, for the drain


def test_once_the_broker_is_back_the_drain_publishes_the_task_exactly_once(django_capture_on_commit_callbacks):
    with celery_broker(closed_port_broker_url()):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            effects.task_after_commit(TASK, 42)
        assert outbox_drain(due_by=timezone.now() + timedelta(hours=1)) == 0  # still down: kept
    assert PendingTask.objects.get().attempts == 2
    with celery_broker("memory://"):
        assert outbox_drain(due_by=timezone.now() + timedelta(hours=1)) == 1
        assert outbox_drain(due_by=timezone.now() + timedelta(hours=1)) == 0
        messages = memory_queue_messages()
    assert [(m["task"], m["args"]) for m in messages] == [(TASK, [42])]
    assert not PendingTask.objects.exists()


def test_the_drain_leaves_fresh_rows_to_their_own_transaction():
    """Within PUBLISH_GRACE of its commit a row is its transaction's to publish: a drain running
    meanwhile must not publish it a second time."""
    with celery_broker("memory://"):
        PendingTask.objects.create(task=TASK, args=[1], next_attempt_at=timezone.now() + PUBLISH_GRACE)
        assert outbox_drain() == 0
        assert memory_queue_messages() == []


def test_drain_command_publishes_what_is_due(capsys):
    PendingTask.objects.create(task=TASK, args=[3], next_attempt_at=timezone.now() - timedelta(seconds=1))
    PendingTask.objects.create(task=TASK, args=[4], next_attempt_at=timezone.now() + timedelta(minutes=5))
    with celery_broker("memory://"):
        call_command("drain_outbox")
        assert [m["args"] for m in memory_queue_messages()] == [[3]]
        call_command("drain_outbox", "--all")
        assert [m["args"] for m in memory_queue_messages()] == [[4]]
    assert "published 1 pending tasks; 0 left" in capsys.readouterr().out
    assert not PendingTask.objects.exists()


def test_a_countdown_survives_the_outbox(django_capture_on_commit_callbacks):
    with celery_broker("memory://"):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            effects.task_after_commit(TASK, 1, countdown=90)
        from twitterclone.celery import app

        with app.connection_for_read() as conn:
            message = conn.SimpleQueue("celery").get(block=False)
            eta = message.headers["eta"]
            message.ack()
    assert 80 < (timezone.datetime.fromisoformat(eta) - timezone.now()).total_seconds() <= 90


def test_an_unknown_task_name_fails_where_it_is_asked_for():
    with pytest.raises(ImportError):
        effects.task_after_commit("tweets.tasks.no_such_task", 1)


def test_a_failing_channel_layer_is_logged_and_later_hooks_run(django_capture_on_commit_callbacks, caplog):
    ran = []
    layer = mock.AsyncMock()
    layer.group_send.side_effect = ConnectionError("redis down")
    with (
        mock.patch("channels.layers.get_channel_layer", return_value=layer),
        django_capture_on_commit_callbacks(execute=True),
    ):
        effects.push_after_commit([("user.1", {"type": "notification.push"})])
        effects.send_to_channels_after_commit(["specific.abc"], {"type": "room.removed"})
        effects.after_commit(ran.append, "still runs")
    assert ran == ["still runs"]
    assert layer.group_send.await_count == 1
    assert "side effect push failed after commit" in caplog.text


def test_a_hung_channel_layer_holds_the_commit_only_for_the_send_timeout(settings, django_capture_on_commit_callbacks):
    settings.CHANNEL_LAYER_SEND_TIMEOUT_SECONDS = 0.3
    ran = []

    async def hang(*args, **kwargs):
        await asyncio.sleep(30)

    layer = mock.Mock(group_send=hang)
    started = time.monotonic()
    with (
        mock.patch("channels.layers.get_channel_layer", return_value=layer),
        django_capture_on_commit_callbacks(execute=True),
    ):
        effects.push_after_commit([("user.1", {"type": "notification.push"})])
        effects.after_commit(ran.append, "still runs")
    elapsed = time.monotonic() - started
    assert ran == ["still runs"]
    assert elapsed < 2, f"a hung layer held the commit for {elapsed:.1f} s"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_drains_publish_every_row_exactly_once():
    rows = [PendingTask(task=TASK, args=[i], next_attempt_at=timezone.now()) for i in range(300)]
    PendingTask.objects.bulk_create(rows)
    counts: list[int] = []
    barrier = threading.Barrier(4)

    def drain() -> None:
        try:
            barrier.wait()
            counts.append(outbox_drain())
        finally:
            connection.close()

    with celery_broker("memory://"):
        threads = [threading.Thread(target=drain) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        messages = memory_queue_messages()
    assert sum(counts) == 300
    assert sorted(m["args"][0] for m in messages) == list(range(300))
    assert not PendingTask.objects.exists()


@pytest.mark.redis
def test_publishing_to_redis_builds_one_client_not_one_per_message(settings):
    """On a Redis broker the outbox publishes through one redis-py client per channel (kombu's
    own channel builds one per message); every message still reaches the queue."""
    import json

    import redis
    from kombu.transport import redis as kombu_redis

    from outbox.services import pending_task_add, pending_task_publish

    queue = redis.Redis.from_url(settings.REDIS_URL)
    built = []
    real = kombu_redis.Channel._create_client
    with (
        mock.patch.object(
            kombu_redis.Channel, "_create_client", lambda self, *a, **k: built.append(1) or real(self, *a, **k)
        ),
        celery_broker(settings.REDIS_URL),
    ):
        rows = [pending_task_add(task=TASK, args=[index]) for index in range(6)]
        assert pending_task_publish(rows[0])
        after_one = len(built)  # the channel's own client (its connection check) and the publishing one
        assert all(pending_task_publish(row) for row in rows[1:])
    try:
        ids = {json.loads(message)["headers"]["id"] for message in queue.lrange("celery", 0, -1)}
        assert {str(row.pk) for row in rows} <= ids
        assert not PendingTask.objects.filter(pk__in=[row.pk for row in rows]).exists()
        assert after_one <= 2 and len(built) == after_one, (after_one, len(built))
    finally:
        for message in queue.lrange("celery", 0, -1):
            if json.loads(message)["headers"]["id"] in {str(row.pk) for row in rows}:
                queue.lrem("celery", 0, message)
