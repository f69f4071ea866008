from django.urls import path
from rest_framework.routers import SimpleRouter

from social.views import SuggestionsView
from twitterclone import converters  # noqa: F401  (registers <username:...> and <id:...>)

from . import views

router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("users", views.UserViewSet, basename="users")

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login", views.LoginView.as_view(), name="auth-login"),
    path("auth/token/refresh", views.TokenRefreshView.as_view(), name="auth-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout_all", views.LogoutAllView.as_view(), name="auth-logout-all"),
    path("auth/password/change", views.PasswordChangeView.as_view(), name="auth-password-change"),
    path("auth/password/reset", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path("auth/password/reset/confirm", views.PasswordResetConfirmView.as_view(), name="auth-password-reset-confirm"),
    # Before the router, whose users/<username> route would otherwise catch it.
    path("users/suggestions", SuggestionsView.as_view(), name="user-suggestions"),
    *router.urls,
]
