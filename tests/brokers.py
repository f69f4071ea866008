"""Pointing this process's Celery at another broker for a test, as a web process with a worker
would publish (not eager): a closed port (the broker is down), ``memory://``, or a real Redis."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tests.server import free_port


def closed_port_broker_url() -> str:
    """A Redis URL on a port where nothing listens: every connection is refused."""
    return f"redis://127.0.0.1:{free_port()}/0"


@contextlib.contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Inside the block Celery publishes to ``url`` instead of running tasks inline."""
    from twitterclone.celery import app

    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    app._after_fork()  # drop the producer pools bound to the previous broker
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        app._after_fork()


def memory_queue_messages(queue: str = "celery") -> list[dict[str, Any]]:
    """Takes every message waiting in the ``memory://`` broker's queue: a list of
    ``{"task", "id", "args"}`` (the broker must be ``memory://``, see ``celery_broker``)."""
    from twitterclone.celery import app

    taken = []
    with app.connection_for_read() as connection:
        simple = connection.SimpleQueue(queue)
        while True:
            try:
                message = simple.get(block=False)
            except simple.Empty:
                break
            args, _kwargs, _embed = message.payload
            taken.append({"task": message.headers["task"], "id": message.headers["id"], "args": args})
            message.ack()
        simple.close()
    return taken
