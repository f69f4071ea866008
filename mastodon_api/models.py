"""What Mastodon records about a client app beyond django-oauth-toolkit's ``Application``."""

from __future__ import annotations

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
