"""``manage.py drain_outbox``: publish pending Celery tasks now (what Celery beat does every
30 seconds), e.g. after a broker outage without beat running."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from outbox.models import PendingTask
from outbox.services import outbox_drain


class Command(BaseCommand):
    help = "Publishes the pending tasks of the outbox that the broker refused earlier."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            help="Also publish rows whose next attempt is not due yet (only when no request is publishing them).",
        )

    def handle(self, *args, **options):
        due_by = PendingTask.objects.order_by("-next_attempt_at").values_list("next_attempt_at", flat=True).first()
        published = outbox_drain(due_by=due_by if options["all"] and due_by else timezone.now())
        left = PendingTask.objects.count()
        self.stdout.write(f"published {published} pending tasks; {left} left")
