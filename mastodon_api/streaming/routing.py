from django.urls import re_path

from .consumers import MastodonStreamingConsumer
from .sse import MastodonEventStreamConsumer

websocket_urlpatterns = [re_path(r"^api/v1/streaming/?$", MastodonStreamingConsumer.as_asgi())]

http_urlpatterns = [
    re_path(
        r"^api/v1/streaming/(?P<stream>user|user/notification|public|public/local|hashtag|hashtag/local)/?$",
        MastodonEventStreamConsumer.as_asgi(),
    ),
]
