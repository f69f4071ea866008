from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.models import SideChannelDevice, ThrottlingMixin
from django_otp.util import random_number_token

USERNAME_PATTERN = r"^[A-Za-z0-9_]{1,30}$"
username_validator = RegexValidator(
    USERNAME_PATTERN, "Usernames are 1 to 30 letters, digits or underscores.", code="invalid_username"
)

# Names that collide with routes, or that would mislead other users.
RESERVED_USERNAMES = frozenset(
    {
        "me",
        "suggestions",
        "search",
        "admin",
        "administrator",
        "api",
        "root",
        "settings",
        "support",
        "help",
        "about",
        "login",
        "logout",
        "register",
        "signup",
        "auth",
        "users",
        "user",
        "tweets",
        "timeline",
        "notifications",
        "rooms",
        "bookmarks",
        "trends",
        "hashtags",
        "moderator",
        "moderators",
        "staff",
        "system",
        "twitterclone",
        "null",
        "none",
        "undefined",
        "ws",
        "static",
        "media",
        "docs",
        "schema",
        "healthz",
        "readyz",
        "explore",
        "home",
        "reports",
    }
)


class UserQuerySet(models.QuerySet):
    def active(self) -> UserQuerySet:
        """Users who can be seen by others: active and not suspended."""
        return self.filter(is_active=True, is_suspended=False)

    def by_username(self, username: str) -> UserQuerySet:
        return self.filter(username__lower=username.lower())

    def by_email(self, email: str) -> UserQuerySet:
        return self.filter(email__lower=email.lower())


class TwitterUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    username = models.CharField(
        max_length=30,
        unique=True,
        validators=[username_validator],
        error_messages={"unique": "This username is taken."},
    )
    email = models.EmailField(max_length=254)
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.CharField(max_length=160, blank=True)
    location = models.CharField(max_length=30, blank=True)
    website = models.URLField(max_length=100, blank=True)
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True)

    # Denormalised counters, changed only with F() expressions by the social and tweets services.
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    tweets_count = models.PositiveIntegerField(default=0)

    is_suspended = models.BooleanField(default=False, db_index=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.TextField(blank=True)

    # Carried in every access and refresh token ("ver"); a token is valid only while it equals this.
    # Bumped (with F()) only by accounts.sessions.sessions_revoke, never by a plain save().
    token_version = models.PositiveIntegerField(default=0, editable=False)

    objects = TwitterUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def created_at(self):
        return self.date_joined

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        cls.after_load(instance)
        return instance

    @classmethod
    def after_load(cls, instance: User) -> None:
        """Run on every instance loaded from the database (``from_db``, and
        ``twitterclone.rows.instance_from_row``): remembers the loaded ``is_active``."""
        instance._loaded_is_active = instance.__dict__.get("is_active")

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        # Reading one deferred field loads every deferred field, in one query: the request's user is
        # built from the token with only its id (accounts.authentication), and a view that needs
        # its fields should pay one query, not one per field.
        deferred = self.get_deferred_fields()
        if fields is not None and deferred and set(fields) <= deferred:
            fields = deferred
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "is_active" in fields:
            # As after_load: the request's user is built without it, and save() must still see a
            # deactivation (and end the sessions).
            self._loaded_is_active = self.__dict__.get("is_active")

    def save(self, *args, **kwargs) -> None:
        """Saves the user; a new password, or deactivating the account, ends every session of it
        (``accounts.sessions.sessions_revoke``), whoever saves it: the API, the admin, a command.

        A save never writes ``token_version``: only ``sessions_revoke`` changes it (with F()), so a
        stale instance saved later cannot bring revoked tokens back."""
        adding = self._state.adding
        password_changed = getattr(self, "_password", None) is not None
        deactivated = getattr(self, "_loaded_is_active", None) is True and self.__dict__.get("is_active") is False
        if not adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.attname
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.attname != "token_version"
                and field.attname not in self.get_deferred_fields()
            ]
        super().save(*args, **kwargs)
        self._loaded_is_active = self.__dict__.get("is_active")
        if not adding and (password_changed or deactivated):
            from .sessions import sessions_revoke

            sessions_revoke(user=self)


class PasswordResetDevice(ThrottlingMixin, SideChannelDevice):
    """The django-otp device that issues and checks a user's password-reset codes.

    One per user. Expiry and single use work as in SideChannelDevice, but the code itself is
    never stored: ``token_hash`` holds an HMAC-SHA256 of it (``reset_code_hash``, keyed from
    SECRET_KEY), so whoever reads the table (a backup, a leaked dump, the admin) learns no live
    code, and 6 digits cannot be tried offline without the key. ThrottlingMixin adds
    exponential delays after wrong codes.
    """

    token = None  # SideChannelDevice's clear-text column: removed (migration 0004)
    token_hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user"], name="accounts_one_reset_device_per_user")]

    def get_throttle_factor(self) -> int:
        return settings.PASSWORD_RESET_THROTTLE_FACTOR

    def generate_token(self, length: int = 6, valid_secs: int = 300, commit: bool = True) -> str:
        """Makes a new code (replacing any earlier one), stores its hash and expiry, and returns
        the code: the caller mails it, and it exists nowhere else."""
        code = random_number_token(length)
        self.token_hash = reset_code_hash(user_id=self.user_id, code=code)
        self.valid_until = timezone.now() + timedelta(seconds=valid_secs)
        if commit:
            self.save()
        return code

    def verify_token(self, token: str) -> bool:
        """True, once, for the code issued last while unexpired; the hash is then cleared.
        Compared in constant time, against the hash under SECRET_KEY and under each of
        SECRET_KEY_FALLBACKS (so rotating the key does not void the codes in flight)."""
        now = timezone.now()
        if not self.token_hash or now >= self.valid_until:
            return False
        secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
        matches = [
            constant_time_compare(self.token_hash, reset_code_hash(user_id=self.user_id, code=token, secret=secret))
            for secret in secrets
        ]
        if not any(matches):
            return False
        self.token_hash, self.valid_until = "", now
        self.save(update_fields=["token_hash", "valid_until"])
        return True


RESET_CODE_HASH_SALT = "accounts.PasswordResetDevice.token_hash"


def reset_code_hash(*, user_id: int, code: str, secret: str | None = None) -> str:
    """The stored form of a reset code: HMAC-SHA256 of the user's id and the code, keyed by a
    key derived from SECRET_KEY (``secret``; Django's ``salted_hmac``). With the user's id in it,
    the same code for two users gives two different hashes."""
    return salted_hmac(RESET_CODE_HASH_SALT, f"{user_id}:{code}", secret=secret, algorithm="sha256").hexdigest()


class TokenFamily(models.Model):
    """One login's chain of refresh tokens: every token rotated from it carries its id ("fam").

    Presenting a refresh token that was already rotated means two parties hold the chain, so the
    whole family is revoked (``accounts.sessions.token_refresh``); logging out revokes it too."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="token_families")
    created_at = models.DateTimeField(auto_now_add=True)
    # When the family's newest refresh token expires; expired families are flushed on a schedule.
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=20, blank=True)

    class Meta:
        verbose_name_plural = "token families"

    def __str__(self) -> str:
        return f"token family {self.pk} of user {self.user_id}"


class PasswordResetThrottle(models.Model):
    """Wrong password-reset codes per email address, whether or not it has an account.

    Every confirmation locks and writes this row for its email, so a wrong code costs the same
    work (and time) for an unknown email as for a known one. Each wrong code doubles the wait
    before the next one is checked (``PASSWORD_RESET_THROTTLE_FACTOR`` seconds, then 2x, 4x,
    ...); after ``PASSWORD_RESET_MAX_FAILURES`` no code is accepted until a new one is issued
    (which resets the row). Keyed by a SHA-256 of the normalised email, so the table does not
    collect the addresses people try."""

    email_key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.email_key[:12]}: {self.failures} failures"
