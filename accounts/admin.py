from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "email",
        "display_name",
        "is_active",
        "is_suspended",
        "is_staff",
        "followers_count",
        "following_count",
        "tweets_count",
        "date_joined",
    ]
    list_filter = ["is_active", "is_suspended", "is_staff", "is_superuser", "date_joined"]
    search_fields = ["username", "email", "display_name"]
    ordering = ["-date_joined"]
    readonly_fields = ["followers_count", "following_count", "tweets_count", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Profile", {"fields": ["email", "display_name", "bio", "location", "website", "avatar"]}),
        ("Counts", {"fields": ["followers_count", "following_count", "tweets_count"]}),
        ("Status", {"fields": ["is_active", "is_suspended", "suspended_at", "suspension_reason"]}),
        ("Permissions", {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    show_full_result_count = False
