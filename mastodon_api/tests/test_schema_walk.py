"""The Mastodon client API's operations of the OpenAPI schema, walked like ours
(tests/test_hostile_input.py, tests/test_strict_bodies.py) but with a Mastodon token and
Mastodon's error shape: every hostile value in every path and query parameter is answered below
500, a 4xx as ``{"error": "..."}``; a JSON body property of the wrong type is refused (422), not
coerced or ignored."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import pytest
from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator

from notifications.models import Notification
from tests.test_hostile_input import HOSTILE_VALUES, assert_envelope, build_path, is_mastodon_only, operations
from tests.test_strict_bodies import WRONG_TYPES, _property_type, _resolve
from tweets import services as tweet_services
from tweets.models import Tweet

pytestmark = pytest.mark.django_db

# A valid value for each required query parameter, so that the one under test is what is refused.
VALID_QUERY = {"acct": "someone", "tag": "walk"}
# A valid body for each operation with one: the walk changes one property at a time.
VALID_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/v1/apps"): {"client_name": "walk", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
    ("post", "/api/v1/statuses"): {"status": "walking"},
    ("put", "/api/v1/statuses/{status_id}"): {"status": "edited"},
    ("post", "/api/v1/markers"): {},
    ("patch", "/api/v1/accounts/update_credentials"): {},
}
# Bodies the walk leaves to others: the OAuth endpoints' (django-oauth-toolkit parses them: an
# OAuth error for anything it cannot use, tested in test_oauth.py) and the browser forms.
NOT_WALKED = {
    ("post", "/oauth/token"),
    ("post", "/oauth/revoke"),
    ("post", "/oauth/authorize"),
    ("post", "/oauth/login"),
}


@pytest.fixture
def client(mastodon_client, user, settings):
    settings.RATE_LIMITS_ENABLED = False  # thousands of requests from one user
    return mastodon_client(user, scope="read write follow push")


@pytest.fixture
def world(user, other_user):
    tweet = tweet_services.tweet_create(author=user, text="hello #walk")
    tweet_services.like_create(user=other_user, tweet_id=tweet.pk)
    return {
        "account_id": other_user.pk,
        "status_id": tweet.pk,
        "notification_id": Notification.objects.filter(recipient=user).first().pk,
        "tag": "walk",
    }


def _answers_json(operation: dict) -> bool:
    ok = operation["responses"].get("200", {})
    return "application/json" in ok.get("content", {})


def _served_by_mastodon(url: str) -> bool:
    try:
        return resolve(unquote(urlsplit(url).path)).namespace == "mastodon_api"
    except Resolver404:
        return False


def assert_mastodon_error(response, url: str, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.content[:500]!r}"
    if response.status_code < 400:
        return
    if response.status_code == 404 and not _served_by_mastodon(url):
        assert_envelope(response)  # the value made it a path neither API serves: our 404
        return
    assert response["Content-Type"].startswith("application/json"), f"{what}: {response.content[:300]!r}"
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], f"{what}: {body}"
    assert set(body) <= {"error", "error_description"}, f"{what}: {body}"


def test_every_parameter_of_the_mastodon_operations_survives_every_hostile_value(client, world):
    tried, failures = 0, []
    for path, method, operation in operations(mastodon=True):
        if not _answers_json(operation):
            continue  # the browser pages and the streams: not JSON (test_authorize_browser.py, test_streaming.py)
        parameters = operation.get("parameters", [])
        path_names = [p["name"] for p in parameters if p["in"] == "path"]
        valid_path = {name: str(world[name]) for name in path_names}
        query_names = [p["name"] for p in parameters if p["in"] == "query"] if method == "get" else []
        required = {
            p["name"]: VALID_QUERY.get(p["name"], "1") for p in parameters if p["in"] == "query" and p["required"]
        }
        targets = [("path", name) for name in path_names] + [("query", name) for name in query_names]
        for where, name in targets:
            for value in HOSTILE_VALUES:
                url = build_path(path, {**valid_path, name: value} if where == "path" else valid_path)
                query = {**required, name: value} if where == "query" else required
                if query:
                    url += "?" + urlencode(query)
                kwargs = {"format": "json", "data": {}} if method in ("post", "put", "patch") else {}
                response = getattr(client, method)(url, **kwargs)
                tried += 1
                try:
                    assert_mastodon_error(response, url, f"{method.upper()} {path} {where} {name}={value[:40]!r}")
                except AssertionError as failure:
                    failures.append(str(failure).splitlines()[0][:400])
    assert tried > 1000, tried  # the walk really covered the Mastodon operations
    assert Tweet.objects.filter(pk=world["status_id"]).exists()
    assert not failures, f"{len(failures)} of {tried} requests mishandled:\n" + "\n".join(failures[:60])


def _json_bodies() -> list[tuple[str, str, dict, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if is_mastodon_only(operation) and "application/json" in content:
                found.append((method, path, _resolve(schema, content["application/json"]["schema"]), schema))
    return found


def test_every_mastodon_json_body_is_walked_or_left_out_with_a_reason():
    bodies = {(method, path) for method, path, _, _ in _json_bodies()}
    assert bodies == set(VALID_BODIES) | NOT_WALKED


def test_every_mastodon_json_body_refuses_values_of_the_wrong_type(client, world):
    tried, failures = 0, []
    for method, path, body, schema in _json_bodies():
        if (method, path) in NOT_WALKED:
            continue
        url = build_path(path, {"status_id": str(world["status_id"])})
        for name, prop in body.get("properties", {}).items():
            kind = _property_type(schema, prop)
            if kind not in WRONG_TYPES:
                continue
            for value in WRONG_TYPES[kind]:
                if kind == "boolean" and isinstance(value, str):
                    continue  # "true" for a boolean: Mastodon's clients send form words in JSON too
                response = getattr(client, method)(url, {**VALID_BODIES[(method, path)], name: value}, format="json")
                tried += 1
                if response.status_code != 422 or set(response.json()) != {"error"}:
                    failures.append(f"{method.upper()} {path} {name}={value!r} ({kind}): {response.status_code}")
    assert tried > 30, tried
    assert not failures, f"{len(failures)} of {tried} wrongly typed values not refused:\n" + "\n".join(failures)
