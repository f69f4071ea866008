"""aiortc peers on an asyncio loop in a thread of their own, for the tests that drive rooms from
the main thread (services, the REST API) while peers talk to a real Janus; the ``peers``
fixture is in rooms/tests/conftest.py."""

from __future__ import annotations

import asyncio
import threading
import time

from tests.media_peers import AudioBridgePeer, StreamingListener


class PeerLoop:
    """An asyncio loop in a thread: ``run(coroutine)`` from the test's thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 60.0):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def media_of(auth_client, room, user) -> dict:
    response = auth_client(user).get(f"/api/v1/rooms/{room.pk}/media")
    assert response.status_code == 200, response.content
    return response.json()


def open_peer(loop, opened, media: dict, **kwargs):
    if media["plugin"] == "janus.plugin.audiobridge":
        peer = AudioBridgePeer(url=media["url"], token=media["token"], room=media["room"], **kwargs)
        opened.append(peer)
        loop.run(peer.join())
    else:
        peer = StreamingListener(
            url=media["url"], token=media["token"], mountpoint=media["mountpoint"], pin=media["pin"]
        )
        opened.append(peer)
        loop.run(peer.watch())
    return peer


async def closed(peer, timeout: float = 10.0) -> bool:
    """The peer's Janus handle went away (detached, hung up, or its room destroyed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if peer.janus.closed.is_set() or peer.pc.connectionState in ("closed", "failed"):
            return True
        await asyncio.sleep(0.1)
    return False
