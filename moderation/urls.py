from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash=False)
router.register("reports", views.ReportViewSet, basename="reports")

urlpatterns = router.urls
