"""Follows, blocks and mutes, for superusers investigating the graph (moderators have no
permission on them). Raw ids and no full counts keep the lists fast on big tables."""

from django.contrib import admin

from moderation.admin_tools import CappedCountPaginator

from .models import Block, Follow, Mute


class _EdgeAdmin(admin.ModelAdmin):
    list_display_links = ["id"]
    ordering = ["-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts would scan big tables
    paginator = CappedCountPaginator
    list_filter = [("created_at", admin.DateFieldListFilter)]


@admin.register(Follow)
class FollowAdmin(_EdgeAdmin):
    list_display = ["id", "follower", "followee", "created_at"]
    list_select_related = ["follower", "followee"]
    search_fields = ["=follower__username", "=followee__username"]
    raw_id_fields = ["follower", "followee"]


@admin.register(Block)
class BlockAdmin(_EdgeAdmin):
    list_display = ["id", "blocker", "blocked", "created_at"]
    list_select_related = ["blocker", "blocked"]
    search_fields = ["=blocker__username", "=blocked__username"]
    raw_id_fields = ["blocker", "blocked"]


@admin.register(Mute)
class MuteAdmin(_EdgeAdmin):
    list_display = ["id", "muter", "muted", "created_at"]
    list_select_related = ["muter", "muted"]
    search_fields = ["=muter__username", "=muted__username"]
    raw_id_fields = ["muter", "muted"]
