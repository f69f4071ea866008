from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from .models import User
from .sessions import tokens_flush_expired


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_password_reset_code(user_id: int, code: str) -> None:
    """Emails a password-reset code. Retries on mail-server errors."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    minutes = settings.PASSWORD_RESET_CODE_VALIDITY_SECONDS // 60
    send_mail(
        subject="Your twitterclone password reset code",
        message=(
            f"Hello {user.username},\n\nYour password reset code is {code}. "
            f"It is valid for {minutes} minutes and can be used once.\n\n"
            "If you did not ask for it, ignore this email: your password is unchanged."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


@shared_task
def flush_expired_tokens() -> dict[str, int]:
    """Deletes expired refresh-token records (Celery beat, hourly): ``tokens_flush_expired``."""
    return tokens_flush_expired()
