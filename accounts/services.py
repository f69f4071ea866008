"""Account writes: registration, login, tokens, passwords, profiles.

Every state change of an account goes through one of these functions. They raise
``twitterclone.errors.DomainError`` subclasses, which the API turns into its error envelope.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from twitterclone import effects
from twitterclone.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated

from .auth import user_can_authenticate
from .models import RESERVED_USERNAMES, PasswordResetDevice, PasswordResetThrottle, User, username_validator

# Session services (tokens, rotation, revocation) live in accounts.sessions; re-exported here.
from .sessions import sessions_revoke as sessions_revoke
from .sessions import token_logout as token_logout
from .sessions import token_refresh as token_refresh
from .sessions import tokens_for as tokens_for

logger = logging.getLogger("twitterclone.accounts")

PROFILE_FIELDS = ("display_name", "bio", "location", "website", "avatar")


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidInput("The password is not strong enough.", code="invalid", fields={"password": exc.messages})


def _validate_username(username: str) -> None:
    try:
        username_validator(username)
    except DjangoValidationError as exc:
        raise InvalidInput("Invalid username.", fields={"username": exc.messages})
    if username.lower() in RESERVED_USERNAMES:
        raise InvalidInput("This username is reserved.", fields={"username": ["This username is reserved."]})


def user_register(*, username: str, email: str, password: str, display_name: str = "") -> User:
    """Creates an account. Usernames and emails are unique without regard to case: a taken one
    raises Conflict (409), also when two registrations race (the database constraint decides)."""
    _validate_username(username)
    email = User.objects.normalize_email(email).strip()
    user = User(username=username, email=email, display_name=display_name.strip())
    _validate_password(password, user)
    _raise_if_taken(username=username, email=email)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        _raise_if_taken(username=username, email=email)
        raise
    return user


def _raise_if_taken(*, username: str | None = None, email: str | None = None, exclude_pk: int | None = None) -> None:
    fields: dict[str, list[str]] = {}
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    if username is not None and others.by_username(username).exists():
        fields["username"] = ["This username is taken."]
    if email is not None and others.by_email(email).exists():
        fields["email"] = ["An account with this email already exists."]
    if fields:
        raise Conflict("Username or email already taken.", code="taken", fields=fields)


def auth_login(*, login: str, password: str) -> User:
    """Checks credentials given by username or email (either without regard to case).

    Unknown logins and wrong passwords are indistinguishable (same error, a password hash
    computed either way); a suspended or deactivated account gets 403 after a right password.
    """
    login = login.strip()
    lookup = User.objects.by_email(login) if "@" in login else User.objects.by_username(login)
    user = lookup.first()
    if user is None:
        User().set_password(password)  # same cost as a real check, so timing tells nothing
        raise NotAuthenticated("Invalid login or password.", code="invalid_credentials")
    if not user.check_password(password):
        raise NotAuthenticated("Invalid login or password.", code="invalid_credentials")
    if not user_can_authenticate(user):
        raise Forbidden("This account is suspended or deactivated.", code="account_suspended")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return user


def password_change(*, user: User, old_password: str, new_password: str) -> None:
    """Changes the password after checking the old one. Every token of the user stops working
    and their open sockets are closed (User.save calls ``sessions_revoke``); the client logs in
    again."""
    if not user.check_password(old_password):
        raise InvalidInput("The current password is wrong.", fields={"old_password": ["Wrong password."]})
    try:
        password_validation.validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise InvalidInput("The new password is not strong enough.", fields={"new_password": exc.messages})
    user.set_password(new_password)
    user.save(update_fields=["password"])  # which ends every session (User.save)


def password_reset_request(*, email: str) -> None:
    """Asks for a reset code to be emailed to ``email``, in the background.

    The request does the same work whatever the email (one outbox row, published to the broker
    after commit): the Celery task looks the account up, issues the code and mails it
    (``password_reset_code_send``). So the answer and its timing tell nobody whether an email
    has an account, and the code never travels through the broker. A broker that is down
    delays the mail (the outbox retries it); it never reaches the caller."""
    effects.task_after_commit("accounts.tasks.send_password_reset_code", email.strip())


def _first_delivery(request_id: str | None) -> bool:
    """False when this request's code was already mailed (a task delivered twice: a duplicate
    publication, or a worker lost after sending). Without the cache, sends anyway."""
    if not request_id:
        return True
    try:
        return cache.add(
            f"password-reset-sent:{request_id}", True, timeout=settings.PASSWORD_RESET_CODE_VALIDITY_SECONDS
        )
    except Exception:
        logger.warning("cache unavailable: cannot tell whether reset mail %s was sent", request_id, exc_info=True)
        return True


def password_reset_code_send(*, email: str, request_id: str | None = None) -> bool:
    """Issues a new 6-digit reset code for the active account with this email (replacing any
    earlier one, with a fresh attempt counter) and mails it. Runs in the Celery task, once per
    ``request_id``. Unknown, deactivated and suspended emails get nothing. Returns True when a
    mail was sent; raises when the mail server fails (the task retries)."""
    user = User.objects.by_email(email.strip()).filter(is_active=True, is_suspended=False).first()
    if user is None or not _first_delivery(request_id):
        return False
    try:
        with transaction.atomic():
            device, _ = PasswordResetDevice.objects.select_for_update().get_or_create(
                user=user, defaults={"name": "password reset"}
            )
            code = device.generate_token(length=6, valid_secs=settings.PASSWORD_RESET_CODE_VALIDITY_SECONDS)
            # A new code gets a fresh attempt counter (for the email the user asked with, and
            # the account's own if they differ in case or spacing: the key is normalised).
            PasswordResetThrottle.objects.filter(
                email_key__in={reset_email_key(email), reset_email_key(user.email)}
            ).update(failures=0, last_failure_at=None)
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
    except Exception:
        if request_id:
            cache.delete(f"password-reset-sent:{request_id}")  # not sent: let the retry send it
        raise
    return True


RESET_FAILED = (
    "The code is invalid or has expired, or there were too many attempts. Wait a moment, or request a new code."
)
RESET_CODE = re.compile(r"[0-9]{6}")


def reset_email_key(email: str) -> str:
    """The key of an email in ``PasswordResetThrottle``: a SHA-256 of it, normalised."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _reset_throttle_lock(email: str) -> PasswordResetThrottle:
    """This email's throttle row, created if need be and locked until the transaction ends, in
    one statement whatever the email (an upsert: PostgreSQL and SQLite 3.35+)."""
    table = connection.ops.quote_name(PasswordResetThrottle._meta.db_table)
    sql = (
        f"INSERT INTO {table} (email_key, failures) VALUES (%s, 0) "  # noqa: S608 (quoted name only)
        "ON CONFLICT (email_key) DO UPDATE SET email_key = excluded.email_key "
        "RETURNING id, failures, last_failure_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [reset_email_key(email)])
        pk, failures, last_failure_at = cursor.fetchone()
    if isinstance(last_failure_at, str):  # SQLite returns text from RETURNING
        last_failure_at = datetime.fromisoformat(last_failure_at)
    if last_failure_at is not None and timezone.is_naive(last_failure_at):
        last_failure_at = timezone.make_aware(last_failure_at, UTC)
    return PasswordResetThrottle(pk=pk, failures=failures, last_failure_at=last_failure_at)


def _reset_attempt_allowed(throttle: PasswordResetThrottle) -> bool:
    if throttle.failures >= settings.PASSWORD_RESET_MAX_FAILURES:
        return False  # the code is void: a new one must be requested
    if throttle.failures == 0 or throttle.last_failure_at is None:
        return True
    wait = settings.PASSWORD_RESET_THROTTLE_FACTOR * 2 ** (throttle.failures - 1)
    return timezone.now() >= throttle.last_failure_at + timedelta(seconds=wait)


def password_reset_confirm(*, email: str, code: str, new_password: str) -> None:
    """Sets a new password if the code is right, unexpired and unused; every session of the user
    then ends (User.save calls ``sessions_revoke``: every token stops working, sockets close).

    The code is checked first, before anything about the new password, and every failure
    (wrong, expired, used or throttled code, unknown email, any new password with a wrong code)
    answers the same ``invalid_code`` after the same statements: lock the email's throttle row
    (``PasswordResetThrottle``, which exists for any email), read the device, count the failure.
    Only with the right code is the new password checked (a weak one is a 400 that leaves the
    code usable). Each wrong code doubles the wait before the next attempt is checked; after
    PASSWORD_RESET_MAX_FAILURES wrong codes no code works until a new one is requested."""
    failed = InvalidInput(RESET_FAILED, code="invalid_code", fields={"code": [RESET_FAILED]})
    well_formed = RESET_CODE.fullmatch(code) is not None
    with transaction.atomic():
        throttle = _reset_throttle_lock(email)  # also serialises concurrent attempts on this email
        allowed = _reset_attempt_allowed(throttle)
        device = (
            PasswordResetDevice.objects.select_related("user")
            .filter(user__email__lower=email.strip().lower(), user__is_active=True, user__is_suspended=False)
            .first()
        )
        verified = allowed and well_formed and device is not None and device.verify_token(code)
        if not verified:
            if allowed:
                # Recorded, not rolled back: the failure counts even though we raise below.
                PasswordResetThrottle.objects.filter(pk=throttle.pk).update(
                    failures=F("failures") + 1, last_failure_at=timezone.now()
                )
        else:
            user = device.user
            try:
                password_validation.validate_password(new_password, user)
            except DjangoValidationError as exc:
                # Raised inside the transaction: the code's use is rolled back, it stays usable.
                raise InvalidInput("The new password is not strong enough.", fields={"new_password": exc.messages})
            PasswordResetThrottle.objects.filter(pk=throttle.pk).update(failures=0, last_failure_at=None)
            user.set_password(new_password)
            user.save(update_fields=["password"])  # which ends every session (User.save)
    if not verified:
        raise failed


def password_reset_throttles_flush(*, now: datetime | None = None) -> int:
    """Deletes the ``PasswordResetThrottle`` rows that no longer hold anything back: those with no
    failure (every confirmation creates one, for any email) and those whose last failure is older
    than a code's validity plus the longest wait between attempts. A code those failures counted
    against has expired by then (a newer code would have reset the row), so forgetting them
    lets no extra guess at a live code. Celery beat runs it hourly. Returns how many went."""
    now = now or timezone.now()
    longest_wait = settings.PASSWORD_RESET_THROTTLE_FACTOR * 2 ** max(0, settings.PASSWORD_RESET_MAX_FAILURES - 1)
    horizon = now - timedelta(seconds=settings.PASSWORD_RESET_CODE_VALIDITY_SECONDS + longest_wait)
    stale = Q(failures=0) | Q(last_failure_at__isnull=True) | Q(last_failure_at__lt=horizon)
    return PasswordResetThrottle.objects.filter(stale).delete()[0]


def users_deactivate(*, users: QuerySet[User]) -> int:
    """Deactivates these users (those still active) and ends every session of each of them
    (``sessions_revoke``: tokens, OAuth tokens, open sockets), in one transaction. The bulk form of
    saving ``is_active=False`` on one user (``User.save`` revokes then); a plain
    ``QuerySet.update(is_active=False)`` revokes nothing, so deactivations go through here (the
    admin's "Deactivate selected users" action). Returns how many users were deactivated."""
    with transaction.atomic():
        ids = list(users.filter(is_active=True).select_for_update().values_list("pk", flat=True))
        User.objects.filter(pk__in=ids).update(is_active=False)
        for pk in ids:
            sessions_revoke(user=User(pk=pk))
    if ids:
        logger.info("deactivated users %s", ids)
    return len(ids)


def profile_update(*, user: User, data: dict[str, Any]) -> User:
    """Updates the editable profile fields of the user's own account; other keys are ignored."""
    changed = []
    for field in PROFILE_FIELDS:
        if field in data:
            value = data[field]
            if field == "avatar":
                if user.avatar:
                    user.avatar.delete(save=False)
                value = value or ""
            elif isinstance(value, str):
                value = value.strip()
            setattr(user, field, value)
            changed.append(field)
    if changed:
        user.save(update_fields=changed)
    return user
