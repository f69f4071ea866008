from django.contrib import admin

from .models import PendingTask


@admin.register(PendingTask)
class PendingTaskAdmin(admin.ModelAdmin):
    """Read-only: what the broker has not taken yet, and why."""

    list_display = ("task", "args", "attempts", "next_attempt_at", "created_at")
    readonly_fields = (
        "id",
        "task",
        "args",
        "kwargs",
        "run_after",
        "created_at",
        "next_attempt_at",
        "attempts",
        "last_error",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
