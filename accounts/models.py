from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django_otp.models import SideChannelDevice, ThrottlingMixin

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


class PasswordResetDevice(ThrottlingMixin, SideChannelDevice):
    """The django-otp device that issues and checks a user's password-reset codes.

    One per user. ``generate_token``/``verify_token`` come from SideChannelDevice
    (expiry, single use); ThrottlingMixin adds exponential delays after wrong codes.
    """

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user"], name="accounts_one_reset_device_per_user")]

    def get_throttle_factor(self) -> int:
        return settings.PASSWORD_RESET_THROTTLE_FACTOR
