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
