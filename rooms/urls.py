from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash=False)
router.register("rooms", views.RoomViewSet, basename="rooms")

urlpatterns = router.urls
