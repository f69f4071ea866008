"""The room admin: live rooms first, read-only pages with participants, and the moderators'
"end room" action, which goes through ``rooms.services.room_end`` (participants are told,
exactly as when the host ends the room)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, Q

from moderation.admin_tools import CappedCountPaginator, DefaultChoiceFilter, admin_link, confirm_with_reason

from .models import Participant, Room, RoomState


class RoomStateFilter(DefaultChoiceFilter, admin.SimpleListFilter):
    """Live rooms by default; the other states and all on request."""

    title = "state"
    parameter_name = "state"
    default = RoomState.LIVE

    def lookups(self, request, model_admin):
        return [*RoomState.choices, ("all", "All")]

    def queryset(self, request, queryset):
        if self.value() in RoomState.values:
            return queryset.filter(state=self.value())
        return queryset


class ParticipantInline(admin.TabularInline):
    model = Participant
    fields = ["user", "role", "hand_raised", "muted", "joined_at", "left_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "host_link", "state", "present", "started_at", "scheduled_for", "created_at"]
    list_display_links = ["id", "title"]
    list_filter = [RoomStateFilter, "created_at"]
    list_select_related = ["host"]
    search_fields = ["title", "=host__username"]
    ordering = ["-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts would scan big tables
    paginator = CappedCountPaginator
    autocomplete_fields = ["host"]
    inlines = [ParticipantInline]
    actions = ["end_rooms"]
    readonly_fields = ["state", "started_at", "ended_at", "created_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(present_count=Count("participants", filter=Q(participants__left_at__isnull=True)))
        )

    # Rooms are created and changed by their hosts through the API; the admin only ends them
    # (rooms.change_room is what rooms.services.room_end asks of a moderator).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_end_permission(self, request) -> bool:
        return request.user.has_perm("rooms.change_room")

    @admin.display(description="host", ordering="host__username")
    def host_link(self, room: Room) -> Any:
        return admin_link(room.host, f"@{room.host.username}")

    @admin.display(description="in the room", ordering="present_count")
    def present(self, room: Room) -> int:
        return room.present_count

    @admin.action(description="End selected live rooms…", permissions=["end"])
    def end_rooms(self, request, queryset):
        from moderation.services import room_end_by_moderator

        return confirm_with_reason(
            self,
            request,
            queryset,
            action="end_rooms",
            title="End rooms",
            verb="End",
            warning="Everyone in the room is told it ended and disconnected, as when the host ends it.",
            apply=lambda room, reason: room_end_by_moderator(room=room, moderator=request.user, reason=reason),
        )
