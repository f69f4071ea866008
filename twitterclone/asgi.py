"""ASGI entry point: one daphne process serves REST, WebSockets and the admin."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twitterclone.settings")

from twitterclone.handlers import get_http_application

django_asgi_app = get_http_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from notifications.routing import websocket_urlpatterns as notification_routes  # noqa: E402
from rooms.routing import websocket_urlpatterns as room_routes  # noqa: E402

from .ws import JwtAuthMiddleware, websocket_origin_validator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_origin_validator(JwtAuthMiddleware(URLRouter(notification_routes + room_routes))),
    }
)
