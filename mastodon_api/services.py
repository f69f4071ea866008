"""Writes of the Mastodon client API that have no counterpart in our own API: client apps and
timeline markers."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application

from twitterclone.errors import InvalidInput

from .models import ClientApp, Marker
from .scopes import parse_scopes, unknown_scopes

OOB_URI = "urn:ietf:wg:oauth:2.0:oob"
MAX_REDIRECT_URIS = 10


@dataclass
class RegisteredApp:
    app: ClientApp
    client_secret: str  # in clear, only known at registration (the database keeps a hash)


def _redirect_uris(value: str | list[str] | None) -> list[str]:
    if value is None or value == "" or value == []:
        raise InvalidInput("Validation failed: Redirect URI can't be blank", fields={"redirect_uris": ["blank"]})
    if not isinstance(value, (str, list)):
        raise InvalidInput("Validation failed: Redirect URI must be a string", fields={"redirect_uris": ["type"]})
    items = [value] if isinstance(value, str) else value
    uris: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidInput("Validation failed: Redirect URI must be a string", fields={"redirect_uris": ["type"]})
        for uri in item.split():
            if uri not in uris:
                uris.append(uri)
    if not uris or len(uris) > MAX_REDIRECT_URIS:
        raise InvalidInput(
            f"Validation failed: give 1 to {MAX_REDIRECT_URIS} redirect URIs", fields={"redirect_uris": ["count"]}
        )
    for uri in uris:
        parts = urlsplit(uri)
        if uri == OOB_URI:
            continue
        # Absolute URIs: http(s) with a host, or an app's own scheme (tusky://oauth, ...), no fragment.
        if not parts.scheme or parts.fragment or len(uri) > 500 or any(ch.isspace() for ch in uri):
            raise InvalidInput(
                "Validation failed: Redirect URI must be an absolute URI.", fields={"redirect_uris": [uri]}
            )
        if parts.scheme in ("http", "https") and not parts.netloc:
            raise InvalidInput(
                "Validation failed: Redirect URI must be an absolute URI.", fields={"redirect_uris": [uri]}
            )
        if parts.scheme.lower() in ("javascript", "data", "file", "vbscript"):
            raise InvalidInput("Validation failed: Redirect URI is not allowed.", fields={"redirect_uris": [uri]})
    return uris


def client_app_create(
    *,
    name: str,
    redirect_uris: str | list[str] | None,
    scopes: str | list[str] | None = None,
    website: str | None = "",
) -> RegisteredApp:
    """Registers a Mastodon client app: an OAuth confidential client with its own client id and
    secret. ``redirect_uris`` may be one URI, several separated by whitespace, or a list;
    ``urn:ietf:wg:oauth:2.0:oob`` means the code is shown to the user. ``scopes`` (default
    ``read``) bound what its tokens may be granted. Raises InvalidInput for a blank name, bad URIs
    or unknown scopes."""
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        raise InvalidInput("Validation failed: Application name can't be blank", fields={"client_name": ["blank"]})
    if len(name) > 60:
        raise InvalidInput("Validation failed: Application name is too long", fields={"client_name": ["too long"]})
    uris = _redirect_uris(redirect_uris)
    if (
        scopes is not None
        and not isinstance(scopes, str)
        and not (isinstance(scopes, list) and all(isinstance(scope, str) for scope in scopes))
    ):
        raise InvalidInput("Validation failed: Scopes must be a string", fields={"scopes": ["type"]})
    if website is not None and not isinstance(website, str):
        raise InvalidInput("Validation failed: Website must be a string", fields={"website": ["type"]})
    requested = parse_scopes(scopes) or ["read"]
    unknown = unknown_scopes(requested)
    if unknown:
        raise InvalidInput("Validation failed: Scopes are invalid", fields={"scopes": unknown})
    website = website.strip() if isinstance(website, str) else ""
    if website and (urlsplit(website).scheme not in ("http", "https") or len(website) > 500):
        raise InvalidInput("Validation failed: Website is invalid", fields={"website": [website]})
    secret = generate_client_secret()
    with transaction.atomic():
        application = Application.objects.create(
            name=name,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(uris),
            client_secret=secret,
        )
        app = ClientApp.objects.create(application=application, scopes=" ".join(requested), website=website)
    return RegisteredApp(app=app, client_secret=secret)


def markers_save(*, user, positions: dict[str, int]) -> list[Marker]:
    """Saves the user's reading positions (``{"home": 123, "notifications": 45}``) and answers the
    markers saved. Each save bumps the marker's ``version`` by one in the database (an ``F()``
    update), so concurrent saves from several devices each count once and none is lost; the
    first save creates the marker with version 0 (a race to create it is settled by the unique
    constraint, the loser updating instead). Unknown timelines are refused (InvalidInput)."""
    unknown = sorted(set(positions) - set(Marker.Timeline.values))
    if unknown:
        raise InvalidInput("Validation failed: unknown timeline", fields={"timeline": unknown})
    saved = []
    for timeline, last_read_id in positions.items():
        with transaction.atomic():
            now = timezone.now()
            updated = Marker.objects.filter(user=user, timeline=timeline).update(
                last_read_id=last_read_id, version=F("version") + 1, updated_at=now
            )
            if not updated:
                try:
                    with transaction.atomic():
                        Marker.objects.create(user=user, timeline=timeline, last_read_id=last_read_id, updated_at=now)
                except IntegrityError:  # another request created it first: this save is an update
                    Marker.objects.filter(user=user, timeline=timeline).update(
                        last_read_id=last_read_id, version=F("version") + 1, updated_at=now
                    )
            saved.append(Marker.objects.get(user=user, timeline=timeline))
    return saved
