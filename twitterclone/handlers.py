"""The HTTP side of the ASGI app.

Django's ASGI handler runs the middleware chain in async mode and gives every request a new
worker thread (``ThreadSensitiveContext``). Our middleware (Django's own included) are
sync-capable ``MiddlewareMixin`` classes that hop to a thread twice each in async mode, and the DRF
views are sync anyway. Measured on this 2-core machine, a fixed JSON response cost about 7 ms in
thread creation and hand-offs (142 requests/s). This handler runs the whole chain and the view in
one call on a pool of long-lived worker threads (the WSGI code path, with per-thread database
connections kept for CONN_MAX_AGE), while the server stays async for WebSockets.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponseBase


class PooledSyncASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self.load_middleware(is_async=False)
        self.executor = ThreadPoolExecutor(max_workers=settings.HTTP_WORKER_THREADS, thread_name_prefix="http")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # Through asgiref (not loop.run_in_executor) so that async_to_sync inside the view, e.g. a
        # channel-layer send, runs on this server's event loop and reuses its Redis connections.
        return await sync_to_async(self._get_response_in_worker, thread_sensitive=False, executor=self.executor)(
            request
        )

    def _get_response_in_worker(self, request: HttpRequest) -> HttpResponseBase:
        # The request_started/finished signals run close_old_connections in another thread;
        # do it here too, where this worker's connection lives (CONN_MAX_AGE, health checks).
        close_old_connections()
        try:
            return self.get_response(request)
        finally:
            close_old_connections()


def get_http_application() -> PooledSyncASGIHandler:
    import django

    django.setup(set_prefix=False)
    return PooledSyncASGIHandler()
