"""The OAuth token check of the Mastodon API (``MastodonTokenAuthentication``): a Bearer header
is checked with one constant statement (``tokens.oauth_token_lookup``: the token and its user),
answering as django-oauth-toolkit does for every case, and reading the token on every request,
so a revocation, an expiry or a suspension made anywhere (another process) counts on the next
request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from mastodon_api import base
from mastodon_api.tests.conftest import password_grant

pytestmark = pytest.mark.django_db

ME = "/api/v1/accounts/verify_credentials"


@pytest.fixture
def toolkit_only(monkeypatch):
    """Turns the lookup off: every request goes through django-oauth-toolkit, as before."""
    monkeypatch.setattr(base.MastodonTokenAuthentication, "_from_header", lambda self, request: base._UNDECIDED)


def _token(client, mastodon_app, user, scope="read write follow") -> str:
    response = password_grant(client, mastodon_app, username=user.username, scope=scope)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def _answer(raw: str | None, path: str = ME, **extra):
    client = APIClient()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"} if raw is not None else {}
    response = client.get(path, **headers, **extra)
    return response.status_code, response.json(), response.get("WWW-Authenticate")


CASES = ["valid", "unknown", "expired", "revoked", "suspended", "app token", "read only", "in the query", "resource"]


@pytest.mark.parametrize("case", CASES)
def test_the_lookup_answers_as_the_toolkit(case, client, mastodon_app, user, monkeypatch):
    raw = _token(client, mastodon_app, user, scope="write" if case == "read only" else "read write follow")
    token = AccessToken.objects.get(user=user)
    extra, path = {}, ME
    if case == "unknown":
        raw = "x" * 40
    elif case == "expired":
        AccessToken.objects.filter(pk=token.pk).update(expires=timezone.now() - timedelta(seconds=1))
    elif case == "revoked":
        AccessToken.objects.filter(pk=token.pk).delete()
    elif case == "suspended":
        type(user).objects.filter(pk=user.pk).update(is_suspended=True)
    elif case == "app token":
        AccessToken.objects.filter(pk=token.pk).update(user=None)
    elif case == "in the query":
        path = f"{ME}?access_token={raw}"
    elif case == "resource":  # restricted to another server (RFC 8707): the toolkit's audience check
        AccessToken.objects.filter(pk=token.pk).update(resource=["https://elsewhere.example/"])
    ours = _answer(raw, path, **extra)
    monkeypatch.setattr(base.MastodonTokenAuthentication, "_from_header", lambda self, request: base._UNDECIDED)
    assert ours == _answer(raw, path, **extra)
    assert ours[0] == (200 if case == "valid" else 403 if case == "read only" else 422 if case == "app token" else 401)


def test_one_statement_checks_the_token_and_loads_the_user(client, mastodon_app, user):
    raw = _token(client, mastodon_app, user)
    with CaptureQueriesContext(connection) as queries:
        assert _answer(raw)[0] == 200
    token_reads = [q["sql"] for q in queries if "oauth2_provider_" in q["sql"]]
    assert len(token_reads) == 1 and "accounts_user" in token_reads[0], token_reads
    assert not [q["sql"] for q in queries if "oauth2_provider_application" in q["sql"]]
    # verify_credentials reads nothing else of the user: the row came with the token.
    assert not [q["sql"] for q in queries if q["sql"].startswith('SELECT "accounts_user"')]


def test_the_token_and_user_are_those_the_toolkit_loads(client, mastodon_app, user):
    from mastodon_api.tokens import oauth_token_lookup

    raw = _token(client, mastodon_app, user)
    token = oauth_token_lookup(raw)
    stored = AccessToken.objects.select_related("user", "application").get(pk=token.pk)
    for name in ("id", "user_id", "application_id", "expires", "scope", "resource"):
        assert getattr(token, name) == getattr(stored, name), name
    for field in type(user)._meta.concrete_fields:
        assert getattr(token.user, field.attname) == getattr(stored.user, field.attname), field.attname
    assert token.application == stored.application  # loaded on first use
    assert oauth_token_lookup("not a token") is None


@pytest.mark.parametrize("change", ["revoke endpoint", "deleted elsewhere", "expired elsewhere", "suspended elsewhere"])
def test_a_change_made_elsewhere_counts_on_the_next_request(change, client, mastodon_app, user):
    """The same process answered the token a moment ago; what another process (or the revoke
    endpoint) changes in the database refuses the very next request."""
    raw = _token(client, mastodon_app, user)
    assert _answer(raw)[0] == 200
    assert _answer(raw)[0] == 200
    token = AccessToken.objects.get(user=user)
    if change == "revoke endpoint":
        response = client.post(
            "/oauth/revoke",
            {
                "token": raw,
                "client_id": mastodon_app.app.application.client_id,
                "client_secret": mastodon_app.client_secret,
            },
        )
        assert response.status_code == 200
    elif change == "deleted elsewhere":
        with connection.cursor() as cursor:  # not through the ORM: no signal, no cache to drop
            cursor.execute("DELETE FROM oauth2_provider_refreshtoken WHERE access_token_id = %s", [token.pk])
            cursor.execute("DELETE FROM oauth2_provider_accesstoken WHERE id = %s", [token.pk])
    elif change == "expired elsewhere":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE oauth2_provider_accesstoken SET expires = %s WHERE id = %s",
                [timezone.now() - timedelta(seconds=1), token.pk],
            )
    else:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_user SET is_suspended = %s WHERE id = %s", [True, user.pk])
    assert _answer(raw)[0] == 401
