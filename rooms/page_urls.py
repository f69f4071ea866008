"""Pages served by the rooms app outside the API: the demo at ``/rooms/demo/``."""

from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path("rooms/demo/", TemplateView.as_view(template_name="rooms/demo.html"), name="rooms-demo"),
]
