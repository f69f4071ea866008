from django.urls import re_path

from . import consumers

websocket_urlpatterns = [
    re_path(r"^ws/rooms/(?P<room_id>[0-9]{1,19})/$", consumers.RoomConsumer.as_asgi()),
]
