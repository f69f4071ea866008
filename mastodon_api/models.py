"""What Mastodon records about a client app beyond django-oauth-toolkit's ``Application``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from oauth2_provider.models import Application


class ClientApp(models.Model):
    """A client registered with ``POST /api/v1/apps``: the scopes it may ask for and its website.

    One per OAuth ``Application``; tokens can only be granted scopes these cover."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="mastodon")
    scopes = models.CharField(max_length=500, default="read")
    website = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.application.name


class Marker(models.Model):
    """A user's saved reading position in a timeline (Mastodon's markers): the id of the last
    status (home) or notification (notifications) read, and a version bumped on every save so
    that clients on several devices can tell whose position is newer."""

    class Timeline(models.TextChoices):
        HOME = "home"
        NOTIFICATIONS = "notifications"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mastodon_markers")
    timeline = models.CharField(max_length=20, choices=Timeline.choices)
    last_read_id = models.BigIntegerField()
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "timeline"], name="mastodon_marker_one_per_timeline")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.timeline}: {self.last_read_id} (v{self.version})"
