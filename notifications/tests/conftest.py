"""Fixtures shared by the notification tests."""

import pytest


@pytest.fixture
async def async_cleanup():
    """After each test: close the database connection database_sync_to_async keeps open in its
    worker thread (so the test database can be dropped), and drop the channel layer, whose
    Redis connections and receive state belong to this test's event loop (each test has its
    own), so the next test starts with a fresh one."""
    yield
    from asgiref.sync import sync_to_async
    from channels.layers import channel_layers
    from django.db import connections

    await sync_to_async(connections.close_all)()
    for layer in list(channel_layers.backends.values()):
        close_pools = getattr(layer, "close_pools", None)
        if close_pools is not None:
            await close_pools()
    channel_layers.backends.clear()


@pytest.fixture
def push(monkeypatch):
    """Records every push of notifications that leaves after commit (through
    ``twitterclone.effects``) as one call with the pushed notification ids, instead of sending
    them to the channel layer."""
    from unittest import mock

    recorder = mock.Mock()

    def group_send_many(messages):
        recorder([message["notification"]["id"] for _group, message in messages])
        return len(messages)

    monkeypatch.setattr("twitterclone.broadcast.group_send_many", group_send_many)
    return recorder
