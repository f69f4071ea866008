"""Publishing the outbox: pending Celery tasks go to the broker after commit, and again later
while the broker refuses them.

Delivery is at least once to the broker: a row is deleted only after the broker accepted its
message, so a broker that is down or refuses loses nothing (the drain publishes it again).
A duplicate publication needs the database to fail between the broker's acceptance and the
row's deletion; every outboxed task is idempotent for that case (fan-outs write under unique
constraints or into sorted sets; the reset mail checks its request id).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from kombu.transport import redis as kombu_redis

from .models import PendingTask

logger = logging.getLogger("twitterclone.outbox")

# After commit the transaction's own hook publishes the row at once; the drain leaves rows alone
# for this long first, so that it never publishes a row that hook is still publishing.
PUBLISH_GRACE = timedelta(seconds=30)
# Rows the drain locks and publishes per transaction.
DRAIN_BATCH = 100
# Publishing never waits on a broker that is down: one connection attempt (no kombu retries;
# they took 6.5 s against a closed port), bounded connect and socket timeouts.
PUBLISH_TRANSPORT_OPTIONS = {"max_retries": 0, "socket_connect_timeout": 2, "socket_timeout": 5}

_publisher: tuple[tuple[int, Any], Any] | None = None
_publisher_lock = threading.Lock()
# Brokers whose publishing goes through ``_PublishTransport`` (kombu's Redis transport).
REDIS_SCHEMES = frozenset({"redis", "rediss"})


class _PublishChannel(kombu_redis.Channel):
    """kombu's Redis channel, with one Redis client for its publications: kombu's own builds a
    new redis-py client (copying its response callbacks) for every message it puts. The client
    shares the channel's connection pool, as kombu's do; a channel serves one producer, which
    serves one thread at a time (the producer pool)."""

    _publish_client = None

    @contextlib.contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        if self._publish_client is None:
            self._publish_client = self._create_client()
        yield self._publish_client


class _PublishTransport(kombu_redis.Transport):
    Channel = _PublishChannel


def _publisher_connection() -> Any:
    """This process's broker connection for publishing the outbox (per process id: a forked
    worker makes its own), with ``PUBLISH_TRANSPORT_OPTIONS``; kombu pools its producers. On
    Redis through ``_PublishTransport`` (one Redis client per channel, not per message)."""
    global _publisher
    from twitterclone.celery import app

    # Keyed on the configured broker URL (building a Connection to compare URIs cost more
    # than the publication itself).
    key = (os.getpid(), app.conf.broker_write_url or app.conf.broker_url)
    current = _publisher
    if current is None or current[0] != key:
        with _publisher_lock:
            url = key[1]
            scheme = urlsplit(url).scheme if isinstance(url, str) else ""
            transport = _PublishTransport if scheme in REDIS_SCHEMES else None
            connection = app.connection_for_write(transport=transport, transport_options=PUBLISH_TRANSPORT_OPTIONS)
            current = _publisher = (key, connection)
    return current[1]


def task_by_name(name: str) -> Any:
    """The Celery task with this dotted name (``app.tasks.function``). Raises ImportError for a
    name that does not resolve, so a typo fails where the task is asked for, not after commit."""
    try:
        task = import_string(name)
    except ImportError:
        from twitterclone.celery import app

        task = app.tasks.get(name)  # a task registered under a name that is not its path
        if task is None:
            raise
    if not hasattr(task, "apply_async"):
        raise ImportError(f"{name} is not a Celery task")
    return task


def tasks_run_inline() -> bool:
    """Eager Celery (embedded defaults, tests): tasks run in the publishing process."""
    from twitterclone.celery import app

    return bool(app.conf.task_always_eager)


def retry_delay(attempts: int) -> timedelta:
    """Back-off before the drain publishes a row again: 5 s, 10 s, 20 s, ... at most 5 minutes."""
    return timedelta(seconds=min(300, 5 * 2 ** max(attempts - 1, 0)))


def pending_task_add(*, task: str, args: Sequence[Any] = (), countdown: float | None = None) -> PendingTask:
    """Records a task to publish after commit (call it inside the transaction of the change that
    causes it: a rollback removes it with everything else). ``args`` must be JSON values."""
    task_by_name(task)
    now = timezone.now()
    return PendingTask.objects.create(
        task=task,
        args=list(args),
        run_after=now + timedelta(seconds=countdown) if countdown else None,
        next_attempt_at=now + PUBLISH_GRACE,
    )


def pending_task_publish(row: PendingTask) -> bool:
    """Hands one pending task to the broker (once, with no retries: a refusal is quick) and
    deletes its row. When the broker refuses, logs it and schedules the row's next attempt
    instead; never raises for a broker error. Returns True when published."""
    now = timezone.now()
    try:
        countdown = max((row.run_after - now).total_seconds(), 0) if row.run_after else None
        options = {"task_id": str(row.pk), "countdown": countdown, "retry": False}
        task = task_by_name(row.task)
        if tasks_run_inline():
            task.apply_async(args=row.args, kwargs=row.kwargs or None, **options)
        else:
            from kombu import pools

            with pools.producers[_publisher_connection()].acquire(block=True, timeout=5) as producer:
                task.apply_async(args=row.args, kwargs=row.kwargs or None, producer=producer, **options)
    except Exception as exc:
        attempts = row.attempts + 1
        logger.warning(
            "could not publish task %s (%s, attempt %d); the outbox drain will retry it",
            row.task,
            row.pk,
            attempts,
            exc_info=True,
        )
        PendingTask.objects.filter(pk=row.pk).update(
            attempts=F("attempts") + 1, next_attempt_at=now + retry_delay(attempts), last_error=repr(exc)[:2000]
        )
        row.attempts = attempts
        return False
    _delete(row)
    return True


def _delete(row: PendingTask) -> None:
    """Deletes the published row: one statement (``QuerySet.delete`` wraps its own in a
    transaction, three round trips in autocommit)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {PendingTask._meta.db_table} WHERE id = %s",  # noqa: S608 - table name only
            [PendingTask._meta.pk.get_db_prep_value(row.pk, connection)],
        )


def outbox_drain(*, due_by: datetime | None = None) -> int:
    """Publishes every pending task whose next attempt is due (by ``due_by``, default now),
    oldest first, and returns how many the broker took. Rows are locked with SKIP LOCKED while
    published, so concurrent drains never publish one row twice. Stops at the first refusal
    (the broker is still down: the rest would fail too) and leaves the rest for the next run."""
    due_by = due_by or timezone.now()
    published = 0
    while True:
        with transaction.atomic():
            rows = list(
                PendingTask.objects.select_for_update(skip_locked=True)
                .filter(next_attempt_at__lte=due_by)
                .order_by("next_attempt_at")[:DRAIN_BATCH]
            )
            for row in rows:
                if not pending_task_publish(row):
                    return published
                published += 1
        if len(rows) < DRAIN_BATCH:
            return published
