"""The instance documents: /api/v1/instance, /api/v2/instance and nodeinfo."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from rest_framework.request import Request
from rest_framework.response import Response

from ..base import MastodonView
from ..scopes import all_scopes
from ..selectors import instance_stats

TITLE = "twitterclone"
DESCRIPTION = "A Twitter-like social network, speaking the Mastodon client API."
MAX_CHARACTERS = 280


def software_version() -> str:
    return settings.SPECTACULAR_SETTINGS["VERSION"]


def mastodon_version() -> str:
    """The Mastodon API level we follow, as clients parse it, then our own name and version."""
    return f"4.2.0 (compatible; twitterclone {software_version()})"


def streaming_url(request: HttpRequest) -> str:
    return ("wss://" if request.is_secure() else "ws://") + request.get_host()


def _configuration() -> dict[str, Any]:
    return {
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
        "statuses": {"max_characters": MAX_CHARACTERS, "max_media_attachments": 0, "characters_reserved_per_url": 23},
        # No media uploads and no polls yet: the blocks are there, with nothing allowed.
        "media_attachments": {
            "supported_mime_types": [],
            "image_size_limit": 0,
            "image_matrix_limit": 0,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0},
    }


class InstanceV1View(MastodonView):
    anonymous_methods = ("GET",)
    app_token_methods = ("GET",)

    def get(self, request: Request) -> Response:
        stats = instance_stats()
        return Response(
            {
                "uri": request.get_host(),
                "title": TITLE,
                "short_description": DESCRIPTION,
                "description": DESCRIPTION,
                "email": "",
                "version": mastodon_version(),
                "urls": {"streaming_api": streaming_url(request)},
                "stats": {"user_count": stats["users"], "status_count": stats["posts"], "domain_count": 0},
                "thumbnail": None,
                "languages": ["en"],
                "registrations": True,
                "approval_required": False,
                "invites_enabled": False,
                "configuration": _configuration(),
                "contact_account": None,
                "rules": [],
            }
        )


class InstanceV2View(MastodonView):
    anonymous_methods = ("GET",)
    app_token_methods = ("GET",)

    def get(self, request: Request) -> Response:
        stats = instance_stats()
        configuration = _configuration()
        configuration.update(
            urls={"streaming": streaming_url(request), "status": None},
            vapid={"public_key": ""},
            translation={"enabled": False},
            timelines_access={
                "live_feeds": {"local": "public", "remote": "disabled"},
                "hashtag_feeds": {"local": "public", "remote": "disabled"},
                "trending_link_feeds": {"local": "disabled", "remote": "disabled"},
            },
        )
        return Response(
            {
                "domain": request.get_host(),
                "title": TITLE,
                "version": mastodon_version(),
                "source_url": "",
                "description": DESCRIPTION,
                "usage": {"users": {"active_month": stats["active_month"]}},
                "thumbnail": {"url": request.build_absolute_uri("/static/mastodon_api/header.png")},
                "icon": [],
                "languages": ["en"],
                "configuration": configuration,
                "registrations": {"enabled": True, "approval_required": False, "message": None, "url": None},
                "api_versions": {"mastodon": 1},
                "contact": {"email": "", "account": None},
                "rules": [],
            }
        )


@csrf_exempt  # a read-only JSON document: any other method is a 405, not a CSRF page
@require_GET
def nodeinfo_links(request: HttpRequest) -> JsonResponse:
    """/.well-known/nodeinfo: where the nodeinfo document is."""
    return JsonResponse(
        {
            "links": [
                {
                    "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                    "href": request.build_absolute_uri("/nodeinfo/2.0"),
                }
            ]
        }
    )


@csrf_exempt
@require_GET
def nodeinfo(request: HttpRequest) -> JsonResponse:
    """/nodeinfo/2.0. We do not federate: ``protocols`` is empty."""
    stats = instance_stats()
    return JsonResponse(
        {
            "version": "2.0",
            "software": {"name": "twitterclone", "version": software_version()},
            "protocols": [],
            "services": {"inbound": [], "outbound": []},
            "usage": {
                "users": {
                    "total": stats["users"],
                    "activeMonth": stats["active_month"],
                    "activeHalfyear": stats["active_halfyear"],
                },
                "localPosts": stats["posts"],
            },
            "openRegistrations": True,
            "metadata": {"nodeName": TITLE, "scopes": all_scopes()},
        },
        content_type='application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"',
    )
