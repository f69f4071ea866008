from django.urls import path

from twitterclone import converters  # noqa: F401  (registers <username:...> and <id:...>)

from . import views

USERNAME = "<username:username>"

urlpatterns = [
    path(f"users/{USERNAME}/follow", views.FollowView.as_view(), name="user-follow"),
    path(f"users/{USERNAME}/block", views.BlockView.as_view(), name="user-block"),
    path(f"users/{USERNAME}/mute", views.MuteView.as_view(), name="user-mute"),
    path(f"users/{USERNAME}/followers", views.FollowersView.as_view(), name="user-followers"),
    path(f"users/{USERNAME}/following", views.FollowingView.as_view(), name="user-following"),
]
