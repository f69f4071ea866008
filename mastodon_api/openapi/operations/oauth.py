"""Mastodon operations: OAuth, apps and the instance."""

from __future__ import annotations

from ..components import obj, ref
from ._base import EMPTY_OBJECT, REDIRECT, Operation, html_response, query
from ._bodies import APP_CREATE, REVOKE_REQUEST, TOKEN_REQUEST

OPERATIONS: tuple[Operation, ...] = (
    # --- OAuth and apps ----------------------------------------------------------------------------
    Operation(
        "post",
        "/api/v1/apps",
        "mastodon_apps_create",
        "Register a client application",
        ref("MastodonCredentialApplication"),
        anonymous=True,
        body=APP_CREATE,
        description="No token needed. JSON or form.",
    ),
    Operation(
        "get",
        "/api/v1/apps/verify_credentials",
        "mastodon_apps_verify_credentials",
        "The token's application",
        ref("MastodonApplication"),
        any_token=True,
        description="Any token of the app, also a client-credentials one.",
    ),
    Operation(
        "get",
        "/oauth/authorize",
        "mastodon_oauth_authorize",
        "The consent page (HTML)",
        parameters=(
            query("response_type", {"type": "string", "enum": ["code"]}, required=True),
            query("client_id", {"type": "string"}, required=True),
            query("redirect_uri", {"type": "string"}, "One of the app's; `urn:ietf:wg:oauth:2.0:oob` shows the code."),
            query("scope", {"type": "string"}, "Space-separated; default `read`."),
            query("state", {"type": "string"}),
            query("code_challenge", {"type": "string"}, "PKCE."),
            query("code_challenge_method", {"type": "string", "enum": ["S256"]}),
        ),
        responses={
            "200": html_response("The consent page (app, account, scopes), or the oob code once authorized."),
            "302": REDIRECT,
            "400": html_response("An error page (unknown client, unregistered redirect URI, bad scope)."),
        },
        oauth_endpoint=True,
        description="A browser page, not JSON. Not signed in: a redirect to the sign-in page (`/oauth/login`) "
        "first. Unknown parameters (`force_login`, `lang`) are ignored. Also at `/oauth/authorize/`.",
    ),
    Operation(
        "post",
        "/oauth/authorize",
        "mastodon_oauth_authorize_submit",
        "Consent (the page's form)",
        body=obj({"client_id": {"type": "string"}, "allow": {"type": "string"}}, additionalProperties=True),
        responses={
            "200": html_response("The oob code."),
            "302": REDIRECT,
            "400": html_response("An error page."),
            "403": html_response("CSRF check failed (the form must come from the page)."),
        },
        oauth_endpoint=True,
        description="The consent page's form (session cookie and CSRF token): the browser posts it.",
    ),
    Operation(
        "get",
        "/oauth/login",
        "mastodon_oauth_login_page",
        "The sign-in page (HTML)",
        parameters=(query("next", {"type": "string"}, "Where to go after signing in (this host only)."),),
        responses={"200": html_response("The sign-in form.")},
        oauth_endpoint=True,
    ),
    Operation(
        "post",
        "/oauth/login",
        "mastodon_oauth_login",
        "Sign in (the page's form)",
        body=obj({"login": {"type": "string"}, "password": {"type": "string"}}, {"next": {"type": "string"}}),
        responses={
            "302": REDIRECT,
            "400": html_response("The form again, with the error."),
            "403": html_response("CSRF check failed."),
        },
        oauth_endpoint=True,
        description="Our login rule (username or email; suspended accounts refused); rate-limited like "
        "`POST /api/v1/auth/login`.",
    ),
    Operation(
        "post",
        "/oauth/token",
        "mastodon_oauth_token",
        "Obtain a token",
        ref("MastodonToken"),
        body=TOKEN_REQUEST,
        errors=("400", "401"),
        oauth_endpoint=True,
        description="Grants `authorization_code`, `client_credentials` and `password` (unless "
        "`MASTODON_PASSWORD_GRANT_ENABLED=false`). Client credentials in the body or HTTP Basic. Errors are "
        'OAuth\'s: `{"error": "invalid_grant", "error_description": ...}`.',
    ),
    Operation(
        "post",
        "/oauth/revoke",
        "mastodon_oauth_revoke",
        "Revoke a token",
        EMPTY_OBJECT,
        body=REVOKE_REQUEST,
        errors=("400", "401"),
        oauth_endpoint=True,
        description="The token stops working; another client's token is left alone.",
    ),
    Operation(
        "get",
        "/.well-known/oauth-authorization-server",
        "mastodon_oauth_metadata",
        "OAuth authorization server metadata (RFC 8414)",
        ref("MastodonAuthorizationServerMetadata"),
        oauth_endpoint=True,
    ),
    # --- Instance ----------------------------------------------------------------------------------
    Operation(
        "get",
        "/api/v1/instance",
        "mastodon_instance_v1",
        "The instance (v1)",
        ref("MastodonInstanceV1"),
        anonymous=True,
        any_token=True,
    ),
    Operation(
        "get",
        "/api/v2/instance",
        "mastodon_instance",
        "The instance (v2)",
        ref("MastodonInstance"),
        anonymous=True,
        any_token=True,
    ),
    Operation(
        "get",
        "/.well-known/nodeinfo",
        "mastodon_nodeinfo_links",
        "Where the nodeinfo document is",
        ref("MastodonNodeInfoLinks"),
        oauth_endpoint=True,
    ),
    Operation(
        "get",
        "/nodeinfo/2.0",
        "mastodon_nodeinfo",
        "Nodeinfo 2.0",
        ref("MastodonNodeInfo"),
        oauth_endpoint=True,
        responses={
            "200": {
                "description": "The nodeinfo document.",
                "content": {
                    'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"': {
                        "schema": ref("MastodonNodeInfo")
                    }
                },
            }
        },
    ),
)
