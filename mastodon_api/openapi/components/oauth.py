"""OAuth: applications, tokens, the authorization server metadata."""

from __future__ import annotations

from ._base import ID, INTEGER, STRING, URL, array, nullable, obj, ref

APPLICATION = obj(
    {
        "id": ID,
        "name": STRING,
        "website": nullable(STRING),
        "scopes": array(STRING),
        "redirect_uri": {"type": "string", "description": "The redirect URIs, newline-joined."},
        "redirect_uris": array(STRING),
        "vapid_key": {"type": "string", "description": "Empty: no Web Push here."},
    },
    description="https://docs.joinmastodon.org/entities/Application/",
)

CREDENTIAL_APPLICATION = {
    "allOf": [
        ref("MastodonApplication"),
        obj(
            {
                "client_id": STRING,
                "client_secret": {"type": "string", "description": "Shown only here (stored hashed)."},
                "client_secret_expires_at": {"type": "integer", "enum": [0]},
            }
        ),
    ],
    "description": "A newly registered Application, with its credentials.",
}

TOKEN = obj(
    {
        "access_token": STRING,
        "token_type": {"type": "string", "enum": ["Bearer"]},
        "scope": {"type": "string", "description": "Space-separated: every scope asked for."},
        "created_at": INTEGER,
    },
    {
        "expires_in": {"type": "integer", "description": "Mastodon clients ignore it."},
        "refresh_token": {"type": "string", "description": "Mastodon clients ignore it."},
    },
    description="https://docs.joinmastodon.org/entities/Token/",
)

AUTHORIZATION_SERVER_METADATA = obj(
    {
        "issuer": URL,
        "service_documentation": URL,
        "authorization_endpoint": URL,
        "token_endpoint": URL,
        "revocation_endpoint": URL,
        "app_registration_endpoint": URL,
        "scopes_supported": array(STRING),
        "response_types_supported": array(STRING),
        "response_modes_supported": array(STRING),
        "grant_types_supported": array(STRING),
        "code_challenge_methods_supported": array(STRING),
        "token_endpoint_auth_methods_supported": array(STRING),
    },
    description="RFC 8414 authorization server metadata.",
)
