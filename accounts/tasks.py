"""Celery tasks of the accounts app: thin wrappers around ``accounts.services``."""

from __future__ import annotations

from celery import shared_task

from . import services
from .sessions import tokens_flush_expired


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5, acks_late=True, ignore_result=True)
def send_password_reset_code(self, email: str) -> bool:
    """Issues and emails a password-reset code for this email, if it has an active account; once
    per request (the task id). Retries on mail-server errors."""
    return services.password_reset_code_send(email=email, request_id=self.request.id)


@shared_task
def flush_expired_tokens() -> dict[str, int]:
    """Deletes expired refresh-token records (Celery beat, hourly): ``tokens_flush_expired``."""
    return tokens_flush_expired()


@shared_task
def flush_password_reset_throttles() -> int:
    """Deletes password-reset throttle rows that no longer hold anything back (Celery beat,
    hourly): ``services.password_reset_throttles_flush``."""
    return services.password_reset_throttles_flush()
