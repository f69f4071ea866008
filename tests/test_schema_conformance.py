"""Regressions found by schemathesis (tests/test_schemathesis.py), pinned down as fast unit tests."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from rooms.models import Room

pytestmark = pytest.mark.django_db

ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def client(auth_client, user):
    return auth_client(user)


@pytest.mark.parametrize(
    "url",
    ["/api/v1/users?q=ab%00c", "/api/v1/search?q=ab%00c", "/api/v1/search?q=ab%00c&type=users"],
)
def test_search_with_a_null_character_is_invalid_input(client, url):
    # PostgreSQL text cannot hold NUL: it used to be a 500 there (and a silent empty result on SQLite).
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "q" in response.json()["error"]["fields"]


def test_hashtag_with_a_null_character_has_no_tweets(client):
    client.post("/api/v1/tweets", {"text": "hi #ab"}, format="json")
    response = client.get("/api/v1/hashtags/ab%00/tweets")
    assert response.status_code == 200
    assert response.json()["results"] == []


ROOM_CONFLICT_OPERATIONS = [
    ("/api/v1/rooms/{id}", "patch"),
    ("/api/v1/rooms/{id}", "delete"),
    ("/api/v1/rooms/{id}/start", "post"),
    ("/api/v1/rooms/{id}/end", "post"),
    ("/api/v1/rooms/{id}/join", "post"),
    ("/api/v1/rooms/{id}/raise_hand", "post"),
    ("/api/v1/rooms/{id}/lower_hand", "post"),
    ("/api/v1/rooms/{id}/mute", "post"),
    ("/api/v1/rooms/{id}/unmute", "post"),
    ("/api/v1/rooms/{id}/speakers/{username}", "post"),
    ("/api/v1/rooms/{id}/speakers/{username}", "delete"),
    ("/api/v1/rooms/{id}/mute/{username}", "post"),
    ("/api/v1/rooms/{id}/mute/{username}", "delete"),
]


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize(("path", "method"), ROOM_CONFLICT_OPERATIONS)
def test_room_state_conflicts_are_documented_with_the_envelope(schema, path, method):
    responses = schema["paths"][path][method]["responses"]
    assert responses["409"]["content"]["application/json"]["schema"] == ERROR_REF


def test_room_conflict_is_answered_as_documented(client, user, schema):
    room = Room.objects.create(host=user, title="t")
    response = client.post(f"/api/v1/rooms/{room.pk}/join")  # not live yet
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "room_not_live"
    assert "409" in schema["paths"]["/api/v1/rooms/{id}/join"]["post"]["responses"]


def test_every_operation_documents_the_query_string_limit(schema):
    # JsonErrorMiddleware answers any path with 414 when the query string is over 4096 characters:
    # in our envelope, or Mastodon's shape on the Mastodon API's paths (both where both APIs serve one).
    mastodon_ref = {"$ref": "#/components/schemas/MastodonError"}
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            documented = operation["responses"]["414"]["content"]["application/json"]["schema"]
            if "mastodon" not in operation["tags"]:
                assert documented == ERROR_REF
            elif len(operation["tags"]) == 1:
                assert documented == mastodon_ref
            else:
                assert documented == {"oneOf": [ERROR_REF, mastodon_ref]}


def test_query_string_limit_is_answered_as_documented(client):
    response = client.get("/api/v1/users/suggestions", {"limit": "1" * 5000})
    assert response.status_code == 414
    assert response.json()["error"]["code"] == "uri_too_long"


@pytest.mark.parametrize(
    ("path", "name", "bounds"),
    [
        ("/api/v1/users", "q", {"minLength": 1, "maxLength": 100}),
        ("/api/v1/search", "q", {"minLength": 1, "maxLength": 200}),
        ("/api/v1/trends", "limit", {"minimum": 1, "maximum": 50}),
        ("/api/v1/users/suggestions", "limit", {"minimum": 1, "maximum": 100}),
    ],
)
def test_query_parameters_document_the_bounds_the_server_enforces(schema, client, path, name, bounds):
    (parameter,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
    assert bounds.items() <= parameter["schema"].items()
    too_big = "x" * (bounds["maxLength"] + 1) if "maxLength" in bounds else str(bounds["maximum"] + 1)
    assert client.get(path, {name: too_big}).status_code == 400
