"""The HTTP side of the ASGI app.

Django's ASGI handler runs the middleware chain in async mode and gives every request a new
worker thread (``ThreadSensitiveContext``). Our middleware (Django's own included) are
sync-capable ``MiddlewareMixin`` classes that hop to a thread twice each in async mode, and the DRF
views are sync anyway. Measured on this 2-core machine, a fixed JSON response cost about 7 ms in
thread creation and hand-offs (142 requests/s). This handler runs the whole chain and the view in
one call on a pool of long-lived worker threads (the WSGI code path, with per-thread database
connections kept for CONN_MAX_AGE), while the server stays async for WebSockets.

Everything a request does outside the event loop runs on that pool: the ``request_started``
signal, the view, closing the response (``request_finished``) and reading a synchronous streaming
body. Django's own ``handle`` runs the signal and the close through asgiref's thread-sensitive
thread, which is shared by the whole process: a busy socket there (``database_sync_to_async``)
made every request wait behind it. Sockets have their own threads (``twitterclone.socket_threads``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import close_old_connections
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

T = TypeVar("T")


async def _replay(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


class PooledSyncASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self.load_middleware(is_async=False)
        self.executor = ThreadPoolExecutor(max_workers=settings.HTTP_WORKER_THREADS, thread_name_prefix="http")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def in_worker(self, func: Callable[..., T], *args: Any) -> T:
        # Through asgiref (not loop.run_in_executor) so that async_to_sync inside the view, e.g. a
        # channel-layer send, runs on this server's event loop and reuses its Redis connections.
        return await sync_to_async(func, thread_sensitive=False, executor=self.executor)(*args)

    async def handle(self, scope, receive, send) -> None:
        """Django's ``ASGIHandler.handle``, with every synchronous step on the HTTP pool. (The
        view runs to completion on its thread; a client that disconnects meanwhile just does not
        get the response, as under WSGI.)"""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            set_script_prefix(get_script_prefix(scope))
            response = await self.in_worker(self._respond, scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:
                    await self.in_worker(response.close)
        finally:
            body_file.close()

    def _respond(self, scope: dict[str, Any], body_file) -> HttpResponseBase:
        """On an HTTP worker thread: the request's whole synchronous life, from request_started to
        the response's close (streaming responses are closed after they are sent)."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            # close_old_connections also ran in request_started above, on this thread: where
            # this worker's connection lives (CONN_MAX_AGE, health checks).
            response = self.get_response(request)
        response._handler_class = self.__class__
        if response.streaming:
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
            if not response.is_async:
                # Django would read a synchronous iterator on the shared thread; read it here.
                response.streaming_content = _replay(list(response.streaming_content))
        else:
            response.close()  # request_finished: closes this thread's stale connections
        close_old_connections()
        return response


def get_http_application() -> PooledSyncASGIHandler:
    import django

    django.setup(set_prefix=False)
    return PooledSyncASGIHandler()
