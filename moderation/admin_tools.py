"""Helpers shared by the admin modules of every app: the confirmation page with a reason,
a paginator whose count stays cheap on huge tables, and links between admin pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from twitterclone.errors import DomainError

REASON_MAX_LENGTH = 1000


class ViewOnlyAdmin:
    """A ModelAdmin mixin: rows are shown, never added, changed or deleted through the admin's
    own forms (the admin actions, which call the services, are what changes them)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Recorded in the moderation log with your name and the time.",
    )


class CappedCountPaginator(Paginator):
    """Counts at most ``CAP`` rows (``SELECT COUNT(*) FROM (... LIMIT CAP)``), so a changelist of a
    million-row table costs no full count. Lists stop at CAP rows; narrow them with filters."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if hasattr(queryset, "values"):  # only the ids: no per-row annotations in the count
            queryset = queryset.values("pk")
        return queryset[: self.CAP].count()


def confirm_with_reason(
    modeladmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str,
    title: str,
    verb: str,
    apply: Callable[[Model, str], bool],
    warning: str = "",
) -> HttpResponse | None:
    """The body of an admin action that asks for a reason on an intermediate page first.

    Without ``confirm`` in the POST (the first step, from the changelist) it renders the page
    listing the selected objects with a reason field; on the confirmed POST it calls
    ``apply(obj, reason)`` for each object and reports what happened. ``apply`` returns False
    for objects it left unchanged; a DomainError is shown as an error for that object."""
    if "confirm" in request.POST:
        form = ReasonForm(request.POST)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            done, skipped = 0, 0
            for obj in queryset:
                try:
                    if apply(obj, reason):
                        done += 1
                    else:
                        skipped += 1
                except DomainError as exc:
                    modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
            if done:
                modeladmin.message_user(request, f"{verb}: {done}.", messages.SUCCESS)
            if skipped:
                modeladmin.message_user(request, f"Unchanged (nothing to do): {skipped}.", messages.WARNING)
            return None
    else:
        form = ReasonForm()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "opts": modeladmin.model._meta,
        "objects": list(queryset[:200]),
        "count": queryset.count(),
        "form": form,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "warning": warning,
        "verb": verb,
    }
    return TemplateResponse(request, "admin/moderation/confirm_action.html", context)


def admin_url(obj_or_model: Any, view: str = "change", *args: Any) -> str | None:
    opts = obj_or_model._meta
    try:
        if view == "change":
            return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj_or_model.pk])
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


def admin_link(obj: Model | None, text: Any = None) -> str:
    if obj is None:
        return "-"
    url = admin_url(obj)
    label = text if text is not None else str(obj)
    return format_html('<a href="{}">{}</a>', url, label) if url else format_html("{}", label)


def excerpt(text: str, length: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def join_html(parts: Iterable[str], separator: str = "<br>") -> str:
    from django.utils.safestring import mark_safe

    return mark_safe(separator.join(str(p) for p in parts))  # noqa: S308 - parts are escaped by format_html


# --- reports shown on the admin pages of what they are about ---------------------------------------


def with_open_report_counts(queryset: QuerySet, target: str) -> QuerySet:
    """``queryset`` with ``open_report_count``: the open reports whose ``target`` (a foreign key
    of Report, e.g. ``"target_user"``) is each row, in one subquery (sortable, no query per row)."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from .models import Report, ReportStatus

    counts = (
        Report.objects.filter(**{target: OuterRef("pk")}, status=ReportStatus.OPEN)
        .order_by()
        .values(target)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(open_report_count=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0)))


def open_reports_link(obj: Model, target: str) -> Any:
    """The number of open reports about ``obj`` (``open_report_count`` when the changelist
    annotated it, else counted), linked to the report list filtered to them; 0 without a link."""
    from .models import Report, ReportStatus

    count = getattr(obj, "open_report_count", None)
    if count is None:
        count = Report.objects.filter(**{target: obj}, status=ReportStatus.OPEN).count()
    if not count:
        return 0
    url = reverse("admin:moderation_report_changelist") + f"?{target}__id__exact={obj.pk}&status=open"
    return format_html('<a href="{}">{}</a>', url, count)


def report_lines(reports: Iterable[Any]) -> Any:
    """One line a report (link, category, status, reporter, the comment's start), or "-"."""
    lines = [
        format_html(
            "{} {} ({}) by @{}: {}",
            admin_link(report, f"#{report.pk}"),
            report.get_category_display(),
            report.get_status_display(),
            report.reporter.username,
            excerpt(report.comment, 100),
        )
        for report in reports
    ]
    return join_html(lines) if lines else "-"


class DefaultChoiceFilter:
    """Mixin for a ``SimpleListFilter`` that applies ``default`` when no choice is made (so its
    "All" is a choice of its own, not the absence of one)."""

    default: str

    def value(self):
        return super().value() or self.default

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }
