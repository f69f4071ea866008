"""The one way side effects leave a service: after the transaction commits, never on rollback.

Services call these inside their transaction; nothing happens until it commits, and nothing at
all if it rolls back. After commit each effect runs in its own guard: an error (the broker or
the channel layer down, Redis slow) is logged and swallowed, so it never reaches the client and
never stops the hooks registered after it.

- ``task_after_commit``: a Celery task that must not be lost (fan-out, mail, room_live
  notifications, presence checks). It is written to the outbox table (``outbox.PendingTask``)
  in the same transaction, published after commit, and published again by the outbox drain
  (Celery beat every 30 s, ``manage.py drain_outbox``) while the broker refuses it.
- ``push_after_commit`` / ``send_to_channels_after_commit``: live pushes to WebSocket groups or
  single sockets, best-effort and bounded by CHANNEL_LAYER_SEND_TIMEOUT_SECONDS (the state is
  stored; clients catch up over REST).
- ``after_commit``: other best-effort local work, such as keeping Redis feeds in step.

Tasks are named by their dotted path, so services never import task modules (tasks import
services, never the reverse).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction

logger = logging.getLogger("twitterclone.effects")

Messages = list[tuple[str, dict[str, Any]]]


def _guarded(name: str, effect: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            effect()
        except Exception:
            logger.warning("side effect %s failed after commit", name, exc_info=True)

    return run


def after_commit(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    """Calls ``function(*args, **kwargs)`` once the transaction commits (at once outside one);
    its errors are logged, never raised. For best-effort work that may be lost."""
    name = getattr(function, "__qualname__", repr(function))
    transaction.on_commit(_guarded(name, lambda: function(*args, **kwargs)), robust=True)


def task_after_commit(task: str, /, *args: Any, countdown: float | None = None) -> None:
    """Runs the Celery task named ``task`` (e.g. ``"tweets.tasks.fan_out_tweet"``) with these
    JSON arguments after commit, ``countdown`` seconds later if given. Durable: recorded in the
    outbox in this transaction and published until the broker takes it, at least once (so the
    task must be idempotent). A broker error never reaches the caller."""
    from outbox.services import pending_task_add, pending_task_publish

    row = pending_task_add(task=task, args=args, countdown=countdown)
    transaction.on_commit(_guarded(task, lambda: pending_task_publish(row)), robust=True)


def push_after_commit(messages: Messages | Callable[[], Messages]) -> None:
    """Sends (group, message) pairs to WebSocket groups after commit. ``messages`` may be a
    function that builds them then (to read what the transaction stored). Best-effort: bounded
    by CHANNEL_LAYER_SEND_TIMEOUT_SECONDS, dropped (and logged) when the layer fails."""
    from .broadcast import group_send_many

    def push() -> None:
        group_send_many(messages() if callable(messages) else messages)

    transaction.on_commit(_guarded("push", push), robust=True)


def send_to_channels_after_commit(channel_names: Sequence[str], message: dict[str, Any]) -> None:
    """Sends one message to each of these single channels (sockets) after commit; best-effort
    and bounded like ``push_after_commit``."""
    from .broadcast import channel_send_many

    names = list(channel_names)
    if names:
        transaction.on_commit(_guarded("send", lambda: channel_send_many(names, message)), robust=True)


def tasks_run_by_worker() -> bool:
    """True when Celery tasks go to a worker; False when they run inline (eager: the embedded
    defaults and the tests), where a countdown task would run at once."""
    from outbox.services import tasks_run_inline

    return not tasks_run_inline()
