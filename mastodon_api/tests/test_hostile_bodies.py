"""Bodies no client should send, on the Mastodon side: a clear JSON 4xx, never a 500 or an HTML page.

Every JSON a Mastodon endpoint reads goes through ``twitterclone.jsoncodec.loads`` (orjson): the
OAuth bodies of /oauth/token and /oauth/revoke, and, since the token authentication reads the body
too, every authenticated request. The standard library's ``json.loads`` had accepted a lone
surrogate (``"\\ud800"``, which cannot be encoded to UTF-8 for the database) and recursed into a
``RecursionError`` on deep nesting: a 500 on each, with Django's HTML page on /oauth/*.
"""

from __future__ import annotations

import pytest

from tweets.models import Tweet

pytestmark = pytest.mark.django_db

DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"x":' * 5_000 + b"1" + b"}" * 5_000
JSON_BODIES = {
    "lone surrogate value": b'{"grant_type": "\\ud83d", "status": "\\ud800"}',
    "lone surrogate key": b'{"\\udc00": "x"}',
    "deep array": DEEP_ARRAY,
    "deep object": DEEP_OBJECT,
}


def _assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body.get("error"), str), body
    return body


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke"])
@pytest.mark.parametrize("body", JSON_BODIES.values(), ids=JSON_BODIES.keys())
def test_an_unreadable_json_body_on_the_oauth_endpoints_is_a_json_400(client, path, body):
    _assert_json_error(client.post(path, body, content_type="application/json"), 400)


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke"])
@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"junk", "multipart/form-data; boundary=x"),
        (b"--x\r\n\r\n--x--", "multipart/form-data"),  # no boundary parameter
    ],
)
def test_a_malformed_multipart_body_on_the_oauth_endpoints_is_a_json_400(client, path, body, content_type):
    # Django's MultiPartParserError used to reach its HTML "Bad Request (400)" page.
    _assert_json_error(client.post(path, body, content_type=content_type), 400)


def test_query_parameters_on_the_token_endpoint_are_a_json_400(client, mastodon_app, user):
    # oauthlib refuses them before it sets its headers: the JSON body came as text/html.
    response = client.post("/oauth/token?limit=1", {"grant_type": "password"})
    assert _assert_json_error(response, 400)["error"] == "invalid_request"


@pytest.mark.parametrize("body", JSON_BODIES.values(), ids=JSON_BODIES.keys())
def test_an_unreadable_json_body_with_a_mastodon_token_is_a_json_400(mastodon_client, user, body):
    client = mastodon_client(user)
    response = client.generic("POST", "/api/v1/statuses", body, content_type="application/json")
    _assert_json_error(response, 400)
    assert not Tweet.objects.exists()
    # The token still works: the socket of the request is not poisoned.
    assert client.get("/api/v1/accounts/verify_credentials").status_code == 200


@pytest.mark.parametrize("format", ["json", "multipart"])
def test_a_status_with_a_nul_is_a_422_not_a_database_error(mastodon_client, user, format):
    client = mastodon_client(user)
    response = client.post("/api/v1/statuses", {"status": "a\x00b"}, format=format)
    assert response.status_code == 422, response.content
    assert "Null characters" in response.json()["error"]
    assert not Tweet.objects.exists()


def test_an_edit_with_a_nul_is_a_422_and_keeps_the_text(mastodon_client, user):
    client = mastodon_client(user)
    status_id = client.post("/api/v1/statuses", {"status": "hello"}, format="json").json()["id"]
    response = client.put(f"/api/v1/statuses/{status_id}", {"status": "hel\x00lo"}, format="json")
    assert response.status_code == 422, response.content
    assert Tweet.objects.get().text == "hello"
