"""The server: errors, instance documents (v1 and v2), NodeInfo."""

from __future__ import annotations

from ._base import BOOLEAN, INTEGER, STRING, URL, array, empty_array, nullable, obj, ref

ERROR = obj(
    {"error": {"type": "string", "description": "What went wrong, for a human."}},
    {"error_description": {"type": "string", "description": "OAuth endpoints: the details."}},
    description="https://docs.joinmastodon.org/entities/Error/ (the OAuth endpoints' `error` is an OAuth "
    "error code such as `invalid_grant`, with `error_description`).",
)

_COUNT = {"type": "integer", "minimum": 0}
_MEDIA_CONFIGURATION = obj(
    {
        "supported_mime_types": array(STRING),
        "image_size_limit": _COUNT,
        "image_matrix_limit": _COUNT,
        "video_size_limit": _COUNT,
        "video_frame_rate_limit": _COUNT,
        "video_matrix_limit": _COUNT,
    }
)
_POLLS_CONFIGURATION = obj(
    {"max_options": _COUNT, "max_characters_per_option": _COUNT, "min_expiration": _COUNT, "max_expiration": _COUNT}
)
_STATUSES_CONFIGURATION = obj(
    {"max_characters": _COUNT, "max_media_attachments": _COUNT, "characters_reserved_per_url": _COUNT}
)
_ACCOUNTS_CONFIGURATION = obj({"max_featured_tags": _COUNT, "max_pinned_statuses": _COUNT})
_CONFIGURATION = {
    "accounts": _ACCOUNTS_CONFIGURATION,
    "statuses": _STATUSES_CONFIGURATION,
    "media_attachments": _MEDIA_CONFIGURATION,
    "polls": _POLLS_CONFIGURATION,
}
_STREAMING_URL = {"type": "string", "pattern": "^wss?://", "description": "`ws://` or `wss://` of this host."}
_RULES = empty_array("No server rules.")

INSTANCE_V1 = obj(
    {
        "uri": STRING,
        "title": STRING,
        "short_description": STRING,
        "description": STRING,
        "email": STRING,
        "version": {"type": "string", "description": "`4.2.0 (compatible; twitterclone <version>)`"},
        "urls": obj({"streaming_api": _STREAMING_URL}),
        "stats": obj({"user_count": _COUNT, "status_count": _COUNT, "domain_count": _COUNT}),
        "thumbnail": nullable(STRING),
        "languages": array(STRING),
        "registrations": BOOLEAN,
        "approval_required": BOOLEAN,
        "invites_enabled": BOOLEAN,
        "configuration": obj(_CONFIGURATION),
        "contact_account": nullable(ref("MastodonAccount")),
        "rules": _RULES,
    },
    description="https://docs.joinmastodon.org/entities/V1_Instance/",
)

_FEED_ACCESS = {"type": "string", "enum": ["public", "authenticated", "disabled"]}
_FEEDS = obj({"local": _FEED_ACCESS, "remote": _FEED_ACCESS})

INSTANCE_V2 = obj(
    {
        "domain": STRING,
        "title": STRING,
        "version": {"type": "string", "description": "`4.2.0 (compatible; twitterclone <version>)`"},
        "source_url": STRING,
        "description": STRING,
        "usage": obj({"users": obj({"active_month": _COUNT})}),
        "thumbnail": obj({"url": URL}),
        "icon": array(obj({"src": URL, "size": STRING})),
        "languages": array(STRING),
        "configuration": obj(
            {
                **_CONFIGURATION,
                "urls": obj({"streaming": _STREAMING_URL, "status": nullable(STRING)}),
                "vapid": obj({"public_key": STRING}),
                "translation": obj({"enabled": BOOLEAN}),
                "timelines_access": obj({"live_feeds": _FEEDS, "hashtag_feeds": _FEEDS, "trending_link_feeds": _FEEDS}),
            }
        ),
        "registrations": obj(
            {"enabled": BOOLEAN, "approval_required": BOOLEAN, "message": nullable(STRING), "url": nullable(STRING)}
        ),
        "api_versions": obj({"mastodon": INTEGER}),
        "contact": obj({"email": STRING, "account": nullable(ref("MastodonAccount"))}),
        "rules": _RULES,
    },
    description="https://docs.joinmastodon.org/entities/Instance/",
)

NODEINFO_LINKS = obj({"links": array(obj({"rel": STRING, "href": URL}), minItems=1)})

NODEINFO = obj(
    {
        "version": {"type": "string", "enum": ["2.0"]},
        "software": obj({"name": STRING, "version": STRING}),
        "protocols": array(STRING, description="Empty: this server does not federate."),
        "services": obj({"inbound": array(STRING), "outbound": array(STRING)}),
        "usage": obj(
            {
                "users": obj({"total": _COUNT, "activeMonth": _COUNT, "activeHalfyear": _COUNT}),
                "localPosts": _COUNT,
            }
        ),
        "openRegistrations": BOOLEAN,
        "metadata": obj({"nodeName": STRING, "scopes": array(STRING)}),
    },
    description="http://nodeinfo.diaspora.software/ns/schema/2.0",
)
