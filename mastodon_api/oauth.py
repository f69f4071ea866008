"""django-oauth-toolkit, configured for Mastodon clients (settings.OAUTH2_PROVIDER points here).

- Every app may use the authorization-code grant (with optional PKCE, S256 only), client
  credentials, and the password grant while ``MASTODON_PASSWORD_GRANT_ENABLED`` is on.
- A token may only be granted scopes the app registered (``read`` covers ``read:statuses``...).
- The password grant checks credentials with ``accounts.services.auth_login``: the same rule as
  our own login (username or email, suspended accounts refused).
- The token and revocation endpoints take form-encoded or JSON bodies (several Mastodon
  libraries send JSON). A body that cannot be read (malformed JSON or multipart, lone surrogates,
  too many fields) is read as no parameters, so oauthlib answers its own JSON 400.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http.multipartparser import MultiPartParserError
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2 import Server
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256

from accounts.auth import user_can_authenticate
from twitterclone.errors import DomainError
from twitterclone.jsoncodec import loads

from .scopes import all_covered, unknown_scopes

GRANTS = ("authorization_code", "client_credentials", "refresh_token")


class MastodonServer(Server):
    """oauthlib's server with PKCE limited to S256, as Mastodon does."""

    def __init__(self, request_validator, *args, **kwargs):
        super().__init__(request_validator, *args, **kwargs)
        self.auth_grant._code_challenge_methods = {"S256": code_challenge_method_s256}


class MastodonOAuth2Validator(OAuth2Validator):
    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs) -> bool:
        if grant_type == "password":
            return settings.MASTODON_PASSWORD_GRANT_ENABLED
        return grant_type in GRANTS

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs) -> bool:
        return response_type == "code"

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs) -> bool:
        registered = getattr(getattr(client, "mastodon", None), "scopes", "read").split()
        return not unknown_scopes(scopes) and all_covered(registered, scopes)

    def get_default_scopes(self, client_id, request, *args, **kwargs) -> list[str]:
        return ["read"]

    def validate_user(self, username, password, client, request, *args, **kwargs) -> bool:
        from accounts.services import auth_login

        if not isinstance(username, str) or not isinstance(password, str) or "\x00" in username:
            return False
        try:
            user = auth_login(login=username, password=password)
        except DomainError:
            return False
        request.user = user
        return True

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs) -> bool:
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        return user_can_authenticate(request.user)

    def validate_code(self, client_id, code, client, request, *args, **kwargs) -> bool:
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        return user_can_authenticate(request.user)


class FormOrJSONOAuthLibCore(OAuthLibCore):
    """Reads ``application/json`` bodies as well as form-encoded ones."""

    def extract_body(self, request):
        if request.content_type == "application/json":
            try:
                data = loads(request.body or b"{}")
            except ValueError:
                return []
            if not isinstance(data, dict):
                return []
            pairs = []
            for key, value in data.items():
                if isinstance(value, list) and key == "scope":
                    value = " ".join(str(item) for item in value)
                if isinstance(value, (str, int)) and not isinstance(value, bool):
                    pairs.append((str(key), str(value)))
            return pairs
        try:
            return super().extract_body(request)
        except (MultiPartParserError, BadRequest, SuspiciousOperation):  # Django's HTML 400 page otherwise
            return []
