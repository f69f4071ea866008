"""The server refuses what the schema forbids in request bodies: JSON values of the wrong type
(``{"text": 0}`` was stored as ``"0"``), strings longer than ``maxLength`` as sent, garbage
multipart bodies. Walks every JSON request body of the schema, property by property."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.test_hostile_input import PREFIX, assert_envelope, build_path, is_mastodon_only, valid_path_value
from tests.test_hostile_input import world as world
from tweets.models import Tweet

pytestmark = pytest.mark.django_db

# For each JSON type, values of other types that a lenient parser would coerce into it.
WRONG_TYPES: dict[str, list[Any]] = {
    "string": [0, 1.5, True, ["a"], {"a": "b"}],
    "integer": ["1", 1.0, True, [1]],
    "number": ["1", True],
    "boolean": ["true", 1, 0, "yes"],
    "array": ["a", {"a": 1}],
    "object": ["a", [1]],
}


@pytest.fixture
def client(auth_client, user, settings):
    settings.RATE_LIMITS_ENABLED = False
    return auth_client(user)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _property_type(schema: dict, prop: dict) -> str | None:
    prop = _resolve(schema, prop)
    if "allOf" in prop and len(prop["allOf"]) == 1:
        prop = _resolve(schema, prop["allOf"][0])
    if "oneOf" in prop:
        types = {_resolve(schema, option).get("type") for option in prop["oneOf"]}
        return types.pop() if len(types) == 1 else None
    if "enum" in prop and "type" not in prop:
        types = {type(value).__name__ for value in prop["enum"] if value is not None}
        return "string" if types == {"str"} else None
    return prop.get("type")


def json_body_properties() -> list[tuple[str, str, str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if is_mastodon_only(operation):
                continue  # Mastodon's bodies: mastodon_api/tests/test_schema_walk.py
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" not in content:
                continue
            body = _resolve(schema, content["application/json"]["schema"])
            for name, prop in body.get("properties", {}).items():
                if _resolve(schema, prop).get("readOnly"):
                    continue
                kind = _property_type(schema, prop)
                if kind in WRONG_TYPES:
                    found.append((path, method, name, kind))
    return found


def test_every_json_body_refuses_values_of_the_wrong_type(client, world):
    properties = json_body_properties()
    assert len(properties) > 30, properties  # the walk really covered the schema
    failures, tried = [], 0
    for path, method, name, kind in properties:
        parameters = [segment[1:-1] for segment in path.split("/") if segment.startswith("{")]
        url = build_path(path, {p: valid_path_value(world, path, p) for p in parameters})
        for value in WRONG_TYPES[kind]:
            response = getattr(client, method)(url, {name: value}, format="json")
            tried += 1
            fields = response.json().get("error", {}).get("fields", {}) if response.status_code == 400 else {}
            if response.status_code != 400 or name not in fields:
                failures.append(f"{method.upper()} {path} {name}={value!r} ({kind}): {response.status_code} {fields}")
            else:
                assert_envelope(response)
    assert not failures, f"{len(failures)} of {tried} wrongly typed values accepted:\n" + "\n".join(failures)


def test_tweet_text_of_another_type_is_refused_not_coerced(client, world):
    tweet_id = world["tweet_id"]
    response = client.patch(f"{PREFIX}/tweets/{tweet_id}", {"text": 0}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"text": ["Must be a string."]}
    assert Tweet.objects.get(pk=tweet_id).text == "hello #walk"


@pytest.mark.parametrize("text", ["x" * 281, " " * 280 + "x", "x" + " " * 280])
def test_tweet_text_is_at_most_280_characters_as_sent(client, text):
    # The schema says maxLength 280: trimming does not make a longer string acceptable.
    response = client.post(f"{PREFIX}/tweets", {"text": text}, format="json")
    assert response.status_code == 400
    assert "text" in response.json()["error"]["fields"]


def test_the_schema_states_the_tweet_text_rules():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for name in ("TweetCreateRequest", "PatchedTweetUpdateRequest"):
        text = schema["components"]["schemas"][name]["properties"]["text"]
        assert text["minLength"] == 1
        assert text["maxLength"] == 280
        assert text["pattern"] == r"^[^\x00]*[^\x00\s\x1c-\x1f][^\x00]*$"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=xyz", b"garbage"),
        ("multipart/form-data; boundary=xyz", b"\x00\xff" * 100),
        ("multipart/form-data", b"garbage"),
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n"),
    ],
)
def test_a_garbage_multipart_profile_update_is_refused(client, user, content_type, body):
    before = (user.display_name, user.bio)
    response = client.generic("PATCH", f"{PREFIX}/users/me", body, content_type=content_type)
    assert response.status_code in (400, 415), response.content
    assert_envelope(response)
    user.refresh_from_db()
    assert (user.display_name, user.bio) == before
