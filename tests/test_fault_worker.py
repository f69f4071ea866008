"""A Celery worker dies (SIGKILL) in the middle of a fan-out: the task runs again, exactly once.

A real daphne server and real Celery workers (``CELERY_TASK_ALWAYS_EAGER=false``) use the pytest
PostgreSQL test database and a *private* redis-server as broker and channel layer. A host with
2,000 followers takes a room live: the ``room_live`` fan-out runs as batches of 500 followers,
each its own task (``acks_late``, ``reject_on_worker_lost``), slow enough (an insert and 500
channel-layer sends per batch) to kill a worker while a batch runs. Nothing test-only is hooked
into the task: its size makes it slow.

- Killing the pool process that runs the batch: the worker rejects the message back to the queue
  (``reject_on_worker_lost``) and its new pool process runs it again.
- Killing the whole worker (the machine is lost): the message stays unacknowledged in Redis; a new
  worker started after the visibility timeout (lowered to a few seconds here through
  ``CELERY_VISIBILITY_TIMEOUT``) restores it and runs it.

Either way every follower ends up with exactly one ``room_live`` notification.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
import uuid
from pathlib import Path
from unittest import mock

import httpx
import pytest
import redis
from django.db import transaction
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.tests.factories import UserFactory
from notifications.models import Notification
from social.models import Follow
from tests.server import run_celery_worker, run_server, server_env, wait_until
from tests.services import private_redis
from tweets import feeds, tasks
from tweets import services as tweets

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(90)]


def with_real_worker(test):
    """Marks for the tests that start a server, a worker and a private redis-server."""
    for mark in (
        pytest.mark.slow,
        pytest.mark.postgres,
        pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
    ):
        test = mark(test)
    return test


FOLLOWERS = 2000
VISIBILITY_TIMEOUT = 4


def host_with_followers(prefix: str) -> tuple[User, dict[str, str]]:
    host = User.objects.create_user(username=f"{prefix}_host", email=f"{prefix}_host@example.com", password="x" * 20)
    fans = User.objects.bulk_create(
        User(username=f"{prefix}_{i}", email=f"{prefix}_{i}@example.com", password="!") for i in range(FOLLOWERS)
    )
    Follow.objects.bulk_create(Follow(follower=fan, followee=host) for fan in fans)
    return host, {"Authorization": f"Bearer {AccessToken.for_user(host)}"}


def fan_out_messages(broker: redis.Redis, queued: bool = True) -> list[str]:
    """Names of the room_live fan-out tasks taken by a worker but not acknowledged (kombu's
    ``unacked`` hash) and, with ``queued``, waiting in the queue. Other tasks (the host's
    presence check, due in minutes) are left out."""
    raw = list(broker.hvals("unacked"))
    if queued:
        raw += broker.lrange("celery", 0, -1)
    names = []
    for item in raw:
        message = json.loads(item)
        message = message[0] if isinstance(message, list) else message
        names.append(message["headers"]["task"])
    return [name for name in names if name.startswith("notifications.tasks.")]


def pool_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def room_live_count(room_id: int) -> int:
    return Notification.objects.filter(room_id=room_id, type="room_live").count()


def start_room(api: str, headers: dict[str, str]) -> int:
    created = httpx.post(f"{api}/rooms", json={"title": "kill the worker"}, headers=headers, timeout=20)
    assert created.status_code == 201, created.text
    room_id = created.json()["id"]
    started = httpx.post(f"{api}/rooms/{room_id}/start", headers=headers, timeout=20)
    assert started.status_code == 200, started.text
    return room_id


def assert_exactly_once(room_id: int, host: User) -> None:
    rows = Notification.objects.filter(room_id=room_id, type="room_live")
    recipients = list(rows.values_list("recipient_id", flat=True))
    assert len(recipients) == FOLLOWERS
    assert len(set(recipients)) == FOLLOWERS
    assert set(recipients) == set(Follow.objects.filter(followee=host).values_list("follower_id", flat=True))


def worker_env(redis_url: str, prefix: str) -> dict[str, str]:
    return server_env(
        redis_url=redis_url,
        prefix=prefix,
        eager=False,
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        DB_CONN_MAX_AGE="0",
    )


@with_real_worker
def test_killed_pool_process_mid_batch_is_redelivered_and_notifies_exactly_once(tmp_path):
    prefix = f"wk{uuid.uuid4().hex[:6]}"
    host, headers = host_with_followers(prefix)
    with private_redis(tmp_path / "redis") as rds:
        env = worker_env(rds.url, prefix)
        with run_server(env) as base, run_celery_worker(env) as worker:
            room_id = start_room(f"{base}/api/v1", headers)
            # The first batch has inserted its rows and is now pushing them: kill its process.
            assert wait_until(lambda: room_live_count(room_id) > 0, 30), "the fan-out never started"
            children = pool_children(worker.pid)
            assert len(children) == 1
            broker = redis.Redis(port=rds.port)
            assert len(fan_out_messages(broker, queued=False)) == 1  # a fan-out task is running
            os.kill(children[0], signal.SIGKILL)
            killed_at = room_live_count(room_id)
            assert killed_at < FOLLOWERS, "too late: the fan-out had already finished"
            assert worker.poll() is None  # the worker itself lives on, with a new pool process
            assert wait_until(lambda: room_live_count(room_id) >= FOLLOWERS, 45, interval=0.3)
            assert wait_until(lambda: not fan_out_messages(broker), 15, interval=0.3)
            time.sleep(1)  # a duplicate would arrive now: there must be none
            assert_exactly_once(room_id, host)
            assert pool_children(worker.pid) != children


@with_real_worker
def test_killed_worker_mid_batch_is_restored_by_a_new_worker_exactly_once(tmp_path):
    prefix = f"wk{uuid.uuid4().hex[:6]}"
    host, headers = host_with_followers(prefix)
    with private_redis(tmp_path / "redis") as rds:
        broker = redis.Redis(port=rds.port)
        env = worker_env(rds.url, prefix)
        with run_server(env) as base:
            with run_celery_worker(env) as worker:
                room_id = start_room(f"{base}/api/v1", headers)
                assert wait_until(lambda: room_live_count(room_id) > 0, 30), "the fan-out never started"
                children = pool_children(worker.pid)
                worker.send_signal(signal.SIGKILL)  # the whole worker, then its pool: nobody acks or rejects
                for child in children:
                    os.kill(child, signal.SIGKILL)
                worker.wait(5)
                killed_at = room_live_count(room_id)
                assert killed_at < FOLLOWERS, "too late: the fan-out had already finished"
                # The batch it was running is still taken (unacknowledged), not lost.
                assert len(fan_out_messages(broker, queued=False)) == 1
            time.sleep(VISIBILITY_TIMEOUT + 0.5)
            assert room_live_count(room_id) == killed_at  # nothing runs without a worker
            with run_celery_worker(env):
                assert wait_until(lambda: room_live_count(room_id) >= FOLLOWERS, 45, interval=0.3)
                assert wait_until(lambda: not fan_out_messages(broker), 15, interval=0.3)
                time.sleep(1)
                assert_exactly_once(room_id, host)


class Rollback(Exception):
    pass


@pytest.mark.redis
def test_a_rolled_back_tweet_sends_no_fan_out_task_and_notifies_nobody(settings):
    """Existing tests cover rolled-back notifications and room starts; this covers the tweet
    fan-out task. Real commits and rollbacks (a transactional test), the CI Redis as feeds."""
    settings.TIMELINE_BACKEND = "redis"
    feeds.reset_redis_state()
    author, mentioned = UserFactory(), UserFactory()
    text = f"hello @{mentioned.username}"
    try:
        with (
            mock.patch.object(tasks.fan_out_tweet, "apply_async") as sent,
            mock.patch("notifications.services.push_messages", return_value=[]) as pushed,
        ):
            with pytest.raises(Rollback), transaction.atomic():
                tweets.tweet_create(author=author, text=text)
                raise Rollback
            assert not sent.called and not pushed.called
            assert not Notification.objects.exists()
            assert feeds.feed_entries(author.pk) == []
            # The same action committed: one task, one notification (so the test above can fail).
            tweet = tweets.tweet_create(author=author, text=text)
            sent.assert_called_once()
            assert sent.call_args.kwargs["args"] == [tweet.pk]
            notification = Notification.objects.get()
            assert (notification.recipient_id, notification.type) == (mentioned.pk, "mention")
            assert pushed.called
    finally:
        feeds.redis_client().delete(feeds.feed_key(author.pk))
        feeds.reset_redis_state()
