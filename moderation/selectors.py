"""Moderation reads."""

from __future__ import annotations

from django.db.models import QuerySet

from twitterclone.errors import NotFound

from .models import Report


def reports_filed_by(*, reporter) -> QuerySet[Report]:
    """The reporter's own reports, newest first, ready to serialize in one query."""
    return Report.objects.filter(reporter=reporter).select_related("target_user").order_by("-id")


def report_get_own(*, reporter, report_id: int) -> Report:
    """One of the reporter's own reports; anyone else's is a NotFound."""
    report = reports_filed_by(reporter=reporter).filter(pk=report_id).first()
    if report is None:
        raise NotFound("No such report.")
    return report
