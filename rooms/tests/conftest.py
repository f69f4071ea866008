"""Fixtures shared by the room socket tests (``WebsocketCommunicator`` through the real ASGI
application, on a transactional database: the consumers' ORM work runs on other threads)."""

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connections

from accounts.tests.factories import UserFactory
from rooms.tests.factories import live_room


@pytest.fixture
async def fresh_layer_and_no_leftover_connections():
    """An empty channel layer before and after the test; afterwards, the ORM threads of
    ``database_sync_to_async`` give back their connections (CONN_MAX_AGE keeps them), so the
    test database can be flushed and dropped."""
    layer = get_channel_layer()
    await layer.flush()
    yield
    await layer.flush()
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def host(transactional_db):
    return UserFactory()


@pytest.fixture
def room(host):
    return live_room(host=host)


@pytest.fixture
def listeners(transactional_db):
    return [UserFactory(), UserFactory()]


@pytest.fixture
def peers():
    """(loop, opened): a ``PeerLoop`` (rooms/tests/peer_loop.py) and a list of the peers to close
    at the end."""
    from rooms.tests.peer_loop import PeerLoop

    loop = PeerLoop()
    opened = []
    yield loop, opened
    for peer in opened:
        try:
            loop.run(peer.close(), timeout=10)
        except Exception:
            pass
    loop.close()
