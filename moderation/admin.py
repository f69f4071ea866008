"""The report queue and the moderation log in the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from twitterclone.errors import DomainError

from . import services
from .admin_tools import (
    CappedCountPaginator,
    DefaultChoiceFilter,
    ReasonForm,
    ViewOnlyAdmin,
    admin_link,
    excerpt,
    join_html,
    report_lines,
)
from .models import ModerationAction, Report, ReportStatus, TargetType
from .services import ReportAction

BUTTON_STYLE = "display:inline-block;white-space:nowrap;margin:2px 0;padding:4px 8px"

# Actions that need no confirmation page from the queue: both are undone in one click too.
QUICK_ACTIONS = (ReportAction.DISMISS, ReportAction.HIDE)


class ReportStatusFilter(DefaultChoiceFilter, admin.SimpleListFilter):
    """Open reports by default; resolved and all on request."""

    title = "status"
    parameter_name = "status"
    default = "open"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved"), ("all", "All")]

    def queryset(self, request, queryset):
        value = self.value()
        if value in (ReportStatus.OPEN, ReportStatus.RESOLVED):
            return queryset.filter(status=value)
        return queryset


def _target_html(report: Report) -> Any:
    """The reported content as it is now (and as it was reported, if it changed or is gone)."""
    if report.target_type == TargetType.TWEET:
        tweet = report.target_tweet
        if tweet is None:
            return format_html("<em>deleted tweet {}</em><br>{}", report.target_object_id, report.target_snapshot)
        flags = " [hidden]" if tweet.is_hidden else ""
        if tweet.author.is_suspended:
            flags += " [author suspended]"
        return format_html(
            "{} {}{}<br>{}",
            admin_link(tweet, f"Tweet {tweet.pk}"),
            format_html("by {}", admin_link(tweet.author, f"@{tweet.author.username}")),
            flags,
            excerpt(tweet.text, 280),
        )
    if report.target_type == TargetType.USER:
        user = report.target_user
        if user is None:
            return format_html("<em>deleted user {}</em>", report.target_object_id)
        flags = " [suspended]" if user.is_suspended else ""
        return format_html(
            "{}{} {}<br>{}",
            admin_link(user, f"@{user.username}"),
            flags,
            user.display_name,
            excerpt(user.bio, 160),
        )
    room = report.target_room
    if room is None:
        return format_html("<em>deleted room {}</em><br>{}", report.target_object_id, report.target_snapshot)
    return format_html(
        "{} ({}) hosted by {}<br>{}",
        admin_link(room, f"Room {room.pk}: {room.title}"),
        room.get_state_display(),
        admin_link(room.host, f"@{room.host.username}"),
        excerpt(room.description, 160),
    )


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "reported_at",
        "category",
        "reported_content",
        "reports_on_target",
        "reporter_comment",
        "queue_actions",
    ]
    list_display_links = ["id"]
    list_filter = [ReportStatusFilter, "category", "target_type", "created_at", "action_taken"]
    list_select_related = ["reporter", "target_tweet__author", "target_user", "target_room__host", "resolved_by"]
    search_fields = ["comment", "target_snapshot", "=reporter__username"]
    ordering = ["id"]  # the queue: oldest first
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts would scan big tables
    paginator = CappedCountPaginator
    actions = ["dismiss_reports"]
    raw_id_fields = ["reporter", "target_tweet", "target_user", "target_room", "resolved_by"]
    readonly_fields = [
        "reported_content",
        "target_snapshot",
        "reporter_link",
        "category",
        "comment",
        "status",
        "created_at",
        "resolved_by",
        "resolved_at",
        "action_taken",
        "other_reports",
        "actions_log",
        "detail_actions",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        same_target = (
            Report.objects.filter(
                target_type=OuterRef("target_type"),
                target_object_id=OuterRef("target_object_id"),
                status=ReportStatus.OPEN,
            )
            .order_by()
            .values("target_type")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(open_on_target=Coalesce(Subquery(same_target, output_field=IntegerField()), Value(0)))
        )

    # Reports come from users and are never edited or deleted; resolving goes through the actions.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/act/<str:action>/",
                self.admin_site.admin_view(self.act_view),
                name="moderation_report_act",
            ),
            *super().get_urls(),
        ]

    # --- columns ---------------------------------------------------------------------------------

    @admin.display(description="reported", ordering="created_at")
    def reported_at(self, report: Report) -> str:
        return f"{report.created_at:%Y-%m-%d %H:%M}"

    @admin.display(description="reported content")
    def reported_content(self, report: Report) -> Any:
        return _target_html(report)

    @admin.display(description="open on target", ordering="open_on_target")
    def reports_on_target(self, report: Report) -> Any:
        count = getattr(report, "open_on_target", 0)
        fk_id = getattr(report, f"target_{report.target_type}_id", None)
        if count <= 1 or fk_id is None:
            return count
        url = reverse("admin:moderation_report_changelist") + f"?target_{report.target_type}__id__exact={fk_id}"
        return format_html('<a href="{}">{}</a>', url, count)

    @admin.display(description="reporter", ordering="reporter__username")
    def reporter_link(self, report: Report) -> Any:
        return admin_link(report.reporter, f"@{report.reporter.username}")

    @admin.display(description="reporter and comment", ordering="reporter__username")
    def reporter_comment(self, report: Report) -> Any:
        return format_html(
            "{}<br>{}", admin_link(report.reporter, f"@{report.reporter.username}"), excerpt(report.comment, 160)
        )

    def _action_buttons(self, report: Report, *, quick: bool) -> Any:
        buttons = []
        for action in services.report_available_actions(report):
            url = reverse("admin:moderation_report_act", args=[report.pk, action])
            label = ReportAction.LABELS[action]
            if quick and action in QUICK_ACTIONS:
                # Submits the changelist's own form (with its CSRF token) to the action URL.
                buttons.append(
                    format_html(
                        '<button type="submit" class="button" formaction="{}" name="quick" value="1" '
                        'data-report-action="{}" style="{}">{}</button>',
                        url,
                        action,
                        BUTTON_STYLE,
                        label,
                    )
                )
            else:
                buttons.append(
                    format_html(
                        '<a class="button" href="{}" data-report-action="{}" style="{}">{}…</a>',
                        url,
                        action,
                        BUTTON_STYLE,
                        label,
                    )
                )
        return join_html(buttons, "<br>") if buttons else "-"

    @admin.display(description="actions")
    def queue_actions(self, report: Report) -> Any:
        return self._action_buttons(report, quick=True)

    @admin.display(description="actions")
    def detail_actions(self, report: Report) -> Any:
        return self._action_buttons(report, quick=False)

    @admin.display(description="other reports on this target")
    def other_reports(self, report: Report) -> Any:
        others = list(
            Report.objects.filter(target_type=report.target_type, target_object_id=report.target_object_id)
            .exclude(pk=report.pk)
            .select_related("reporter")
            .order_by("-id")[:20]
        )
        return report_lines(others)

    @admin.display(description="moderation log")
    def actions_log(self, report: Report) -> Any:
        entries = list(report.actions.order_by("id"))
        if not entries:
            return "-"
        return join_html(
            format_html(
                "{} {} by {}: {}",
                f"{e.created_at:%Y-%m-%d %H:%M}",
                e.get_action_display(),
                e.moderator_username,
                e.reason,
            )
            for e in entries
        )

    def lookup_allowed(self, lookup, value, request=None):
        if lookup in ("target_user__id__exact", "target_tweet__id__exact", "target_room__id__exact"):
            return True
        return super().lookup_allowed(lookup, value, request)

    # --- actions ---------------------------------------------------------------------------------

    @admin.action(description="Dismiss selected reports", permissions=["change"])
    def dismiss_reports(self, request, queryset):
        dismissed = 0
        for report in queryset.filter(status=ReportStatus.OPEN):
            if services.report_dismiss(report=report, moderator=request.user, reason="Dismissed from the queue."):
                dismissed += 1
        self.message_user(request, f"Dismissed {dismissed} report(s).", messages.SUCCESS)

    def act_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        """One queue action on one report: GET shows the confirmation page with the reported
        content and a reason; POST carries it out (``quick`` posts from the queue take the
        report's own category and comment as the reason)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        queryset = self.get_queryset(request).select_related(*self.list_select_related)
        report = get_object_or_404(queryset, pk=object_id) if object_id.isdigit() else None
        if report is None:
            raise PermissionDenied
        if action not in ReportAction.LABELS:
            raise PermissionDenied
        changelist = reverse("admin:moderation_report_changelist")
        default_reason = f"Report #{report.pk} ({report.get_category_display()})" + (
            f": {excerpt(report.comment, 200)}" if report.comment else ""
        )
        if request.method == "POST":
            quick = request.POST.get("quick") == "1" and action in QUICK_ACTIONS
            form = ReasonForm({"reason": default_reason} if quick else request.POST)
            if form.is_valid():
                try:
                    summary = services.report_act(
                        report=report, moderator=request.user, action=action, reason=form.cleaned_data["reason"]
                    )
                except DomainError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                else:
                    self.message_user(request, summary, messages.SUCCESS)
                return HttpResponseRedirect(changelist)
        else:
            form = ReasonForm(initial={"reason": default_reason})
        context = {
            **self.admin_site.each_context(request),
            "title": f"{ReportAction.LABELS[action]}: report #{report.pk}",
            "subtitle": None,
            "opts": self.model._meta,
            "report": report,
            "reported_content": _target_html(report),
            "action": action,
            "action_label": ReportAction.LABELS[action],
            "available": action in services.report_available_actions(report),
            "form": form,
        }
        return TemplateResponse(request, "admin/moderation/report_act.html", context)


@admin.register(ModerationAction)
class ModerationActionAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    """The log: everyone with view permission sees it; nobody adds, changes or deletes entries."""

    list_display = [
        "created_at",
        "moderator_username",
        "action",
        "target_excerpt",
        "subject_user",
        "reason_excerpt",
        "report_link",
    ]
    list_filter = ["action", "target_type", "created_at"]
    list_select_related = ["subject_user", "report"]
    search_fields = ["reason", "target_repr", "=moderator_username", "=subject_user__username"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts would scan big tables
    paginator = CappedCountPaginator
    raw_id_fields = ["moderator", "subject_user", "report"]
    readonly_fields = [
        "created_at",
        "moderator",
        "moderator_username",
        "action",
        "target_type",
        "target_object_id",
        "target_repr",
        "subject_user",
        "report",
        "reason",
        "details",
    ]
    fields = readonly_fields
    actions = None

    def lookup_allowed(self, lookup, value, request=None):
        if lookup in ("subject_user__id__exact", "report__id__exact"):
            return True
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="target")
    def target_excerpt(self, entry: ModerationAction) -> str:
        return excerpt(entry.target_repr, 100)

    @admin.display(description="reason")
    def reason_excerpt(self, entry: ModerationAction) -> str:
        return excerpt(entry.reason, 120)

    @admin.display(description="report")
    def report_link(self, entry: ModerationAction) -> Any:
        return admin_link(entry.report, f"#{entry.report_id}") if entry.report_id else "-"
