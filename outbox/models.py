"""The transactional outbox: Celery tasks written in the same transaction as the change that
causes them, published to the broker after commit, and kept until the broker has taken them."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class PendingTask(models.Model):
    """A task to publish. Written by ``twitterclone.effects.task_after_commit``; deleted once
    the broker accepted it; published again by ``outbox.services.outbox_drain`` (Celery beat,
    ``manage.py drain_outbox``) while the broker refuses it. The id is the Celery task id."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.CharField(max_length=200, help_text="Dotted name of the Celery task.")
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    run_after = models.DateTimeField(null=True, blank=True, help_text="Not to run before (a countdown).")
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(db_index=True, help_text="When the drain may publish it.")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["next_attempt_at"]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
