"""Which threads do what: HTTP requests do all their synchronous work on the HTTP pool (never on
asgiref's thread-sensitive thread, which the whole process shares), and sockets do their
database work on their own pool."""

import asyncio
import threading

import pytest
from channels.testing import WebsocketCommunicator
from django.core import signals
from django.http import FileResponse
from django.urls import path as route

from accounts.services import tokens_for
from twitterclone.handlers import PooledSyncASGIHandler

urlpatterns: list = []  # set by the streaming test (ROOT_URLCONF = this module)


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


@pytest.fixture
def thread_log():
    seen: dict[str, str] = {}

    def started(**kwargs):
        seen["request_started"] = threading.current_thread().name

    def finished(**kwargs):
        seen["request_finished"] = threading.current_thread().name

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield seen
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


@pytest.mark.django_db(transaction=True)
async def test_a_request_signals_and_closes_on_the_http_pool(thread_log):
    status, _ = await asgi_get(PooledSyncASGIHandler(), "/healthz")
    assert status == 200
    assert thread_log["request_started"].startswith("http")
    assert thread_log["request_finished"].startswith("http")


@pytest.mark.django_db(transaction=True)
async def test_a_sync_streaming_response_is_read_and_closed_on_the_http_pool(thread_log, settings, tmp_path):
    readers = []
    path = tmp_path / "file.txt"
    path.write_bytes(b"x" * 10_000)

    class Recording:
        def __init__(self):
            self.file = open(path, "rb")  # noqa: SIM115

        def read(self, size=-1):
            readers.append(threading.current_thread().name)
            return self.file.read(size)

        def close(self):
            self.file.close()

    global urlpatterns
    urlpatterns = [route("file", lambda request: FileResponse(Recording()))]
    settings.ROOT_URLCONF = __name__
    status, body = await asgi_get(PooledSyncASGIHandler(), "/file")
    assert (status, body) == (200, b"x" * 10_000)
    assert readers and all(name.startswith("http") for name in readers)
    assert thread_log["request_finished"].startswith("http")


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
