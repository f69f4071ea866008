from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from rooms.janus_events import janus_events

from .health import healthz, readyz
from .views import (
    ApiRootView,
    json_bad_request,
    json_not_found,
    json_permission_denied,
    json_server_error,
    landing_page,
)

api_v1 = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("accounts.urls")),
    path("", include("social.urls")),
    path("", include("tweets.urls")),
    path("", include("notifications.urls")),
    path("", include("rooms.urls")),
    path("", include("moderation.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    # The Mastodon client API first: where a path exists in both APIs, it decides by the token.
    path("", include("mastodon_api.urls")),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("internal/janus/events", janus_events, name="janus-events"),
    path("", landing_page, name="landing"),
    path("", include("rooms.page_urls")),
]

if settings.BENCHMARK_ENDPOINTS:
    from .bench_views import FixedPageView

    urlpatterns.insert(0, path("api/v1/bench/fixed", FixedPageView.as_view()))

if settings.DEBUG:
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]

handler400 = json_bad_request
handler403 = json_permission_denied
handler404 = json_not_found
handler500 = json_server_error
