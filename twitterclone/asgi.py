"""ASGI entry point: daphne serves WebSockets and the Mastodon streaming paths from it (behind
nginx in production, where granian serves the REST API through twitterclone/wsgi.py), and
``./dev.sh`` serves everything from it in one process. HTTP goes to Django's standard ASGI
handler (remembering URL resolutions: ``twitterclone.resolving``; without the browser-only
middleware on API paths: ``twitterclone.middleware.ApiMiddlewareChain``); socket consumers do their
database work on their own threads (``twitterclone.socket_threads``), so they never queue
behind HTTP requests. Under daphne, two of daphne's defaults are turned off first
(``twitterclone.daphne_server``: Twisted's own parse of POST bodies, dropped sockets). Once loaded,
``twitterclone.serving`` readies the process."""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twitterclone.settings")

import django
from django.core.handlers.asgi import ASGIHandler

django.setup(set_prefix=False)

if "daphne.server" in sys.modules:  # served by daphne (its command line imports it before us)
    from twitterclone.daphne_server import tune_daphne

    tune_daphne()

from twitterclone.middleware import ApiMiddlewareChain  # noqa: E402
from twitterclone.resolving import MemoizedResolution  # noqa: E402
from twitterclone.serving import prepare_serving_process  # noqa: E402


class _Handler(ApiMiddlewareChain, MemoizedResolution, ASGIHandler):
    """Django's ASGI handler that remembers the URL resolution of each path and leaves the
    browser-only middleware out of API requests."""


django_asgi_app = _Handler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from mastodon_api.streaming.routing import http_urlpatterns as mastodon_event_streams  # noqa: E402
from mastodon_api.streaming.routing import websocket_urlpatterns as mastodon_streaming  # noqa: E402
from notifications.routing import websocket_urlpatterns as notification_routes  # noqa: E402
from rooms.routing import websocket_urlpatterns as room_routes  # noqa: E402

from .ws import JwtAuthMiddleware, UnknownPathConsumer, websocket_origin_validator  # noqa: E402

_event_streams = URLRouter(mastodon_event_streams)


async def http_application(scope, receive, send):
    """Mastodon's server-sent event streams are served by the ASGI app itself (they end when the
    client goes away); every other HTTP request goes to Django."""
    path = scope["path"].lstrip("/")
    if path.startswith("api/v1/streaming/") and any(route.pattern.match(path) for route in mastodon_event_streams):
        return await _event_streams(scope, receive, send)
    return await django_asgi_app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": websocket_origin_validator(
            JwtAuthMiddleware(
                URLRouter(
                    [
                        *notification_routes,
                        *room_routes,
                        *mastodon_streaming,
                        re_path(r"", UnknownPathConsumer.as_asgi()),
                    ]
                )
            )
        ),
    }
)
prepare_serving_process()
