"""Crafted input never gives a 500: the issue's examples, then a walk of the whole schema.

The walk takes the server's own OpenAPI schema and sends, for every query parameter of every
GET operation and every path parameter of every operation, each value of a table of hostile
values (Unicode digits, NUL, huge and negative numbers, bad base64, valid base64 of garbage,
empty and very long strings...), authenticated, with every other parameter valid. Every answer
must be below 500, and every 4xx must be the contract's error envelope. On PostgreSQL (CI) it
also proves that nothing reaches the database that PostgreSQL refuses (NUL, out-of-range ints).
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from drf_spectacular.generators import SchemaGenerator

from rooms.tests.factories import live_room
from tweets.models import Tweet

pytestmark = pytest.mark.django_db

PREFIX = "/api/v1"

HOSTILE_VALUES = [
    "\u00b2",  # SUPERSCRIPT TWO: str.isdigit() says yes, int() says no
    "\u0665",  # ARABIC-INDIC DIGIT FIVE: int() says 5
    "1\u00b2",
    "\x00",
    "a\x00",
    "1\x00",
    "99999999999999999999999999",
    str(2**63),  # one past a PostgreSQL bigint
    str(2**63 - 1),
    "-1",
    "-9223372036854775809",
    "0",
    "",
    " ",
    "1.5",
    "1e3",
    "+1",
    "true",
    "null",
    "[]",
    "!!!not base64!!!",
    "====",
    base64.b64encode(b"p=\xc2\xb2").decode(),
    base64.b64encode(b"p=x").decode(),
    base64.b64encode(b"o=-1&r=2&p=1").decode(),
    base64.b64encode(b"p=" + b"9" * 40).decode(),
    base64.urlsafe_b64encode(b"\xff" * 9).decode(),  # the cursor format, all bits set
    "x" * 1000,
    "9" * 1000,
    "\u202e\U0001f600",
    "../../etc/passwd",
    "%00",
    "'; DROP TABLE tweets_tweet; --",
]


def assert_envelope(response) -> None:
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    assert set(error) <= {"code", "message", "fields"}, body
    for name, messages in error.get("fields", {}).items():
        assert isinstance(name, str) and messages and all(isinstance(m, str) for m in messages), body


def assert_handled(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.content[:500]!r}"
    if response.status_code >= 400:
        assert_envelope(response)


@pytest.fixture
def client(auth_client, user, settings):
    settings.RATE_LIMITS_ENABLED = False  # thousands of requests from one user; 429s would hide the answers
    return auth_client(user)


# --- The examples ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/trends", "/users/suggestions"])
@pytest.mark.parametrize("value", ["\u00b2", "\u0665", "-1", "0", "99999999999999999999999", "", " 5"])
def test_integer_query_parameters_are_400_for_anything_but_a_number_in_range(client, path, value):
    response = client.get(f"{PREFIX}{path}?limit={quote(value)}")
    assert response.status_code == 400
    assert_envelope(response)
    assert list(response.json()["error"]["fields"]) == ["limit"]


@pytest.mark.parametrize("path", ["/users?q=a", "/notifications", "/reports", "/rooms", "/timeline/home", "/bookmarks"])
@pytest.mark.parametrize("payload", [b"p=\xc2\xb2", b"p=x", b"p=1", b""])
def test_crafted_cursors_are_400(client, path, payload):
    separator = "&" if "?" in path else "?"
    response = client.get(f"{PREFIX}{path}{separator}cursor={quote(base64.b64encode(payload).decode())}")
    assert response.status_code == 400
    assert_envelope(response)
    assert list(response.json()["error"]["fields"]) == ["cursor"]


@pytest.mark.parametrize("path", ["/users?q=user", "/notifications", "/reports", "/rooms", "/timeline/home"])
def test_the_cursors_the_server_hands_out_still_page(client, user, other_user, path):
    from accounts.tests.factories import UserFactory
    from moderation import services as moderation_services
    from social import services as social_services
    from tweets import services as tweet_services

    for follower in (other_user, UserFactory()):  # two notifications, three users named user...
        social_services.follow_create(follower=follower, followee=user)
        tweet = tweet_services.tweet_create(author=follower, text="report me")
        moderation_services.report_create(reporter=user, target_type="tweet", target=tweet.pk, category="spam")
        live_room(host=follower)
    for text in ("one", "two"):
        tweet_services.tweet_create(author=user, text=text)
    separator = "&" if "?" in path else "?"
    first = client.get(f"{PREFIX}{path}{separator}page_size=1")
    assert first.status_code == 200, first.content
    assert len(first.json()["results"]) == 1
    second = client.get(first.json()["next"])
    assert second.status_code == 200, second.content
    assert second.json()["results"][0] != first.json()["results"][0]
    back = client.get(second.json()["previous"])
    assert back.status_code == 200, back.content
    assert back.json()["results"] == first.json()["results"]


@pytest.mark.parametrize("page_size", ["\u00b2", "\u0665", "0", "101", "-1", "", "1_0"])
def test_page_size_outside_1_to_100_is_400(client, page_size):
    response = client.get(f"{PREFIX}/notifications?page_size={quote(page_size)}")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["page_size"]


@pytest.mark.parametrize("suffix", ["", "/tweets", "/followers", "/following", "/likes"])
@pytest.mark.parametrize("name", ["a%00", "%00", "a.b", "a" * 31, "%C2%B2", "a%20b"])
def test_a_segment_that_cannot_be_a_username_is_a_404(client, user, suffix, name):
    response = client.get(f"{PREFIX}/users/{name}{suffix}")
    assert response.status_code == 404
    assert_envelope(response)


@pytest.mark.parametrize("relation", ["follow", "block", "mute"])
@pytest.mark.parametrize("method", ["post", "delete"])
def test_relations_with_a_nul_username_are_404(client, relation, method):
    response = getattr(client, method)(f"{PREFIX}/users/a%00/{relation}")
    assert response.status_code == 404
    assert_envelope(response)


@pytest.mark.parametrize(
    "path", ["/rooms/%C2%B2", "/rooms/%D9%A5/join", "/tweets/%C2%B2", "/reports/%D9%A5", "/tweets/99999999999999999999"]
)
def test_a_segment_that_cannot_be_an_id_is_a_404(client, path):
    response = client.get(f"{PREFIX}{path}") if "join" not in path else client.post(f"{PREFIX}{path}")
    assert response.status_code == 404
    assert_envelope(response)


# --- The schema walk -------------------------------------------------------------------------


@pytest.fixture
def world(user, other_user, client):
    """Valid values for every path parameter: the user's tweet, a live room of theirs with the
    other user in it, a notification and a report of theirs."""
    from moderation import services as moderation_services
    from notifications.models import Notification
    from rooms import services as room_services
    from tweets import services as tweet_services

    tweet = tweet_services.tweet_create(author=user, text="hello #walk")
    theirs = tweet_services.tweet_create(author=other_user, text="theirs")
    tweet_services.like_create(user=other_user, tweet_id=tweet.pk)
    room = live_room(host=user)
    room_services.participant_join(room=room, user=other_user)
    report, _ = moderation_services.report_create(reporter=user, target_type="tweet", target=theirs.pk, category="spam")
    notification = Notification.objects.filter(recipient=user).first()
    return {
        "tweet_id": tweet.pk,
        "id": {"rooms": room.pk, "notifications": notification.pk, "reports": report.pk},
        "username": other_user.username,
        "tag": "walk",
    }


def valid_path_value(world: dict[str, Any], path: str, name: str) -> str:
    value = world[name]
    if isinstance(value, dict):
        (value,) = [v for prefix, v in value.items() if path.startswith(f"{PREFIX}/{prefix}/")]
    return str(value)


VALID_QUERY = {"q": "a", "type": "tweets", "state": "live"}


def build_path(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", quote(value, safe=""))
    return template


def is_mastodon_only(operation: dict) -> bool:
    """An operation of the Mastodon client API alone (a Mastodon token, Mastodon's error shape):
    walked by mastodon_api/tests/test_schema_walk.py. The paths both APIs serve list our JWT
    first and are walked here, with ours."""
    return "mastodon" in operation.get("tags", []) and not any(
        "jwtAuth" in requirement for requirement in operation.get("security", [])
    )


def operations(*, mastodon: bool = False) -> list[tuple[str, str, dict]]:
    """The operations of our API (or, with ``mastodon``, of the Mastodon client API alone)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete") and is_mastodon_only(operation) == mastodon:
                found.append((path, method, operation))
    return found


def test_every_parameter_of_the_schema_survives_every_hostile_value(client, world):
    tried, failures = 0, []
    for path, method, operation in operations():
        parameters = operation.get("parameters", [])
        path_names = [p["name"] for p in parameters if p["in"] == "path"]
        valid_path = {name: valid_path_value(world, path, name) for name in path_names}
        query_names = [p["name"] for p in parameters if p["in"] == "query"] if method == "get" else []
        required_query = {
            p["name"]: VALID_QUERY.get(p["name"], "1") for p in parameters if p["in"] == "query" and p.get("required")
        }
        targets = [("path", name) for name in path_names] + [("query", name) for name in query_names]
        for where, name in targets:
            for value in HOSTILE_VALUES:
                path_values = {**valid_path, name: value} if where == "path" else valid_path
                query = {**required_query, name: value} if where == "query" else required_query
                url = build_path(path, path_values)
                if query:
                    url += "?" + urlencode(query)
                kwargs = {"format": "json", "data": {}} if method in ("post", "put", "patch") else {}
                response = getattr(client, method)(url, **kwargs)
                tried += 1
                try:
                    assert_handled(response, f"{method.upper()} {path} {where} {name}={value[:40]!r}")
                except AssertionError as failure:
                    failures.append(str(failure).splitlines()[0][:400])
    assert tried > 1000, tried  # the walk really covered the schema
    assert Tweet.objects.filter(pk=world["tweet_id"]).exists()  # every request was refused: nothing changed
    assert not failures, f"{len(failures)} of {tried} requests mishandled:\n" + "\n".join(failures[:60])


@pytest.mark.parametrize("token", ["invalid", "a.b.c", ""])
def test_an_invalid_token_on_delete_notifications_is_a_401(api_client, token):
    # A dotless token is routed to the Mastodon API where a path exists in both; Mastodon has no
    # DELETE /api/v1/notifications, so the request stays ours: 401, not Mastodon's 405.
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api_client.delete(f"{PREFIX}/notifications")
    assert response.status_code == 401
    assert_envelope(response)
