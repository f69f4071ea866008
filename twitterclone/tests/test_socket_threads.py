"""Sockets do their database work on their own pool of threads, never on asgiref's
thread-sensitive thread, where Django's ASGI handler runs HTTP views: neither waits on the other."""

import asyncio
import threading
import time

import pytest
from channels.testing import WebsocketCommunicator

from accounts.services import tokens_for
from twitterclone.socket_threads import _SocketDatabaseExecutor, socket_database_sync_to_async


async def asgi_get(app, path: str) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    sent = []
    bodies = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if bodies:
            return bodies.pop()
        await asyncio.Event().wait()  # the client stays connected

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


@pytest.mark.django_db(transaction=True)
async def test_http_is_served_while_socket_database_work_is_busy():
    """A socket's database call that takes long (here: blocked) holds only a socket thread: an HTTP
    request through the same ASGI app (Django's standard handler, as ./dev.sh serves) is answered
    meanwhile."""
    from twitterclone.asgi import application

    release = threading.Event()
    blocked = asyncio.ensure_future(socket_database_sync_to_async(lambda: release.wait(20))())
    try:
        status, _ = await asyncio.wait_for(asgi_get(application, "/healthz"), 10)
        assert status == 200
        assert not blocked.done()
    finally:
        release.set()
        assert await blocked is True


@pytest.mark.django_db(transaction=True)
async def test_socket_authentication_runs_on_the_socket_threads(monkeypatch):
    from channels.db import database_sync_to_async

    from accounts import authentication
    from accounts.tests.factories import UserFactory
    from twitterclone.asgi import application

    user = await database_sync_to_async(UserFactory)()
    access = await database_sync_to_async(lambda: tokens_for(user)["access"])()
    threads = []
    resolve = authentication.user_for_access_token

    def recording(raw_token):
        threads.append(threading.current_thread().name)
        return resolve(raw_token)

    monkeypatch.setattr(authentication, "user_for_access_token", recording)
    communicator = WebsocketCommunicator(application, f"/ws/notifications/?token={access}")
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()
    assert threads and all(name.startswith("socket-db") for name in threads)


def test_closing_connections_waits_for_a_thread_still_busy(settings):
    settings.WEBSOCKET_DATABASE_THREADS = 4
    executor = _SocketDatabaseExecutor()
    started, release = threading.Barrier(3), threading.Event()
    finished = []

    def hold(seconds: float) -> None:
        started.wait(5)  # two threads started, both in use
        release.wait(5)
        time.sleep(seconds)
        finished.append(seconds)

    quick, slow = executor.submit(hold, 0), executor.submit(hold, 0.5)
    started.wait(5)
    release.set()
    quick.result(5)  # one thread idle again, the other still busy (a socket's clean-up, say)
    executor.close_connections()
    assert 0.5 in finished, "close_connections returned while a thread was still working"
    slow.result(5)
    executor.pool().shutdown()
