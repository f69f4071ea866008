"""Notifications, read-only, for superusers debugging delivery (moderators have no permission)."""

from django.contrib import admin

from moderation.admin_tools import CappedCountPaginator

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "recipient", "type", "actor", "tweet_id", "room_id", "read", "created_at"]
    list_filter = ["type", "read", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["recipient", "actor"]
    search_fields = ["=recipient__username", "=actor__username"]
    raw_id_fields = ["recipient", "actor", "tweet", "room"]
    ordering = ["-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts would scan big tables
    paginator = CappedCountPaginator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
