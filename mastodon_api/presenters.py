"""Our models in Mastodon's shapes (https://docs.joinmastodon.org/entities/). Presentation only:
what to show comes from the services and selectors; this only says how Mastodon spells it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.templatetags.static import static
from django.utils.html import escape
from rest_framework.request import Request

from accounts.models import User

from .html import text_to_html


def iso(moment: datetime | None) -> str | None:
    """Mastodon's timestamps: ISO 8601 in UTC with milliseconds and a Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


# An absolute path of letters, digits, "/", "_", "." and "-" only, not starting with "//".
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9/_.\-]*\Z")


class Links:
    """The absolute URLs of one rendering, each built once (a page repeats its authors, their
    avatars and the static images): ``request.build_absolute_uri`` of the same path, memoized.
    Short-lived: one per response (a streaming socket's request lives long)."""

    __slots__ = ("_base", "_urls", "request")

    def __init__(self, request: Request) -> None:
        self.request = request
        self._urls: dict[str, str] = {}
        self._base: str | None = None

    def absolute(self, path: str) -> str:
        url = self._urls.get(path)
        if url is None:
            if _PLAIN_PATH.match(path) and "/." not in path:
                # What build_absolute_uri gives such a path (nothing to quote, no dot segment,
                # not "//host"): the server's scheme and host, then the path.
                if self._base is None:
                    self._base = self.request.build_absolute_uri("/")[:-1]
                url = self._base + path
            else:
                url = self.request.build_absolute_uri(path)
            self._urls[path] = url
        return url

    def static(self, name: str) -> str:
        key = "static:" + name
        url = self._urls.get(key)
        if url is None:
            url = self._urls[key] = self.absolute(static(name))
        return url

    def account(self, username: str) -> str:
        """``account_url``."""
        return self.absolute(f"/api/v1/users/{username}")

    def tag(self, tag: str) -> str:
        """``tag_url``."""
        return self.absolute(f"/api/v1/hashtags/{tag}/tweets")


def account_url(request: Request, username: str) -> str:
    """Where the account can be seen: its public profile on our API (there are no HTML pages)."""
    return request.build_absolute_uri(f"/api/v1/users/{username}")


def tag_url(request: Request, tag: str) -> str:
    return request.build_absolute_uri(f"/api/v1/hashtags/{tag}/tweets")


def _profile_fields(user: User) -> list[tuple[str, str, str]]:
    """Our website and location as Mastodon's profile fields: (name, raw value, HTML value)."""
    fields = []
    if user.website:
        link = escape(user.website)
        fields.append(
            ("Website", user.website, f'<a href="{link}" rel="me nofollow noopener" target="_blank">{link}</a>')
        )
    if user.location:
        fields.append(("Location", user.location, escape(user.location)))
    return fields


def account(
    request: Request, user: User, *, last_status_at: datetime | None = None, links: Links | None = None
) -> dict[str, Any]:
    """Mastodon's Account. ``last_status_at`` is the date of the user's latest post, if known;
    ``links``: the URLs of the response being rendered, shared between its entities."""
    links = links if links is not None else Links(request)
    avatar = links.absolute(user.avatar.url) if user.avatar else links.static("mastodon_api/missing.png")
    header = links.static("mastodon_api/header.png")
    joined = user.date_joined.replace(hour=0, minute=0, second=0, microsecond=0)
    url = links.account(user.username)
    fields = [{"name": name, "value": html, "verified_at": None} for name, _raw, html in _profile_fields(user)]
    return {
        "id": str(user.pk),
        "username": user.username,
        "acct": user.username,
        "display_name": user.display_name or user.username,
        "locked": False,
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "group": False,
        "created_at": iso(joined),
        "note": text_to_html(user.bio, account_url=links.account, tag_url=links.tag),
        "url": url,
        "uri": url,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": user.followers_count,
        "following_count": user.following_count,
        "statuses_count": user.tweets_count,
        "last_status_at": last_status_at.date().isoformat() if last_status_at else None,
        "hide_collections": False,
        "noindex": False,
        "emojis": [],
        "roles": [],
        "fields": fields,
    }


def credential_account(request: Request, user: User, *, last_status_at: datetime | None = None) -> dict[str, Any]:
    """The Account of the token's own user, with ``source`` (the raw profile) and ``role``."""
    data = account(request, user, last_status_at=last_status_at)
    data["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": "",
        "note": user.bio,
        "fields": [{"name": name, "value": raw, "verified_at": None} for name, raw, _html in _profile_fields(user)],
        "follow_requests_count": 0,
        "hide_collections": False,
        "discoverable": True,
        "indexable": True,
    }
    data["role"] = {"id": "-99", "name": "", "permissions": "0", "color": "", "highlighted": False}
    return data
