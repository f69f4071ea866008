from rest_framework.routers import SimpleRouter

from twitterclone import converters  # noqa: F401  (registers <username:...> and <id:...>)

from . import views

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("reports", views.ReportViewSet, basename="reports")

urlpatterns = router.urls
