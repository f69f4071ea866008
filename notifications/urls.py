from django.urls import path

from twitterclone import converters  # noqa: F401  (registers <username:...> and <id:...>)

from .views import NotificationViewSet

urlpatterns = [
    path("notifications", NotificationViewSet.as_view({"get": "list", "delete": "clear"}), name="notifications"),
    path(
        "notifications/unread_count",
        NotificationViewSet.as_view({"get": "unread_count"}),
        name="notifications-unread-count",
    ),
    path("notifications/read_all", NotificationViewSet.as_view({"post": "read_all"}), name="notifications-read-all"),
    path("notifications/<id:pk>/read", NotificationViewSet.as_view({"post": "read"}), name="notifications-read"),
]
