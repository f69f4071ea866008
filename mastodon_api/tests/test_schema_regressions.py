"""Bugs schemathesis found in the Mastodon endpoints once they were in the OpenAPI schema
(tests/test_schemathesis.py), pinned down as fast tests."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from notifications.models import Notification
from tweets.models import Tweet
from tweets.services import tweet_create

pytestmark = pytest.mark.django_db

SUPERSCRIPT_TWO = "\u00b2"  # str.isdigit() is True for it, int() refuses it: ids are ASCII digits only


def test_apps_with_redirect_uris_of_the_wrong_type_is_a_422_not_a_500(client):
    for value in (False, 5, {"a": "b"}):
        response = client.post(
            "/api/v1/apps", {"client_name": "x", "redirect_uris": value}, content_type="application/json"
        )
        assert response.status_code == 422, value
        assert set(response.json()) == {"error"}


@pytest.mark.parametrize("param", ["max_id", "since_id", "min_id", "limit"])
def test_a_unicode_digit_in_a_page_parameter_is_a_422(mastodon_client, user, param):
    response = mastodon_client(user).get(f"/api/v1/timelines/home?{param}={SUPERSCRIPT_TWO}")
    assert response.status_code == 422
    assert "error" in response.json()


def test_a_19_digit_page_id_is_refused_as_the_schema_says(mastodon_client, user):
    response = mastodon_client(user).get("/api/v1/timelines/home?max_id=1000000000000000000")
    assert response.status_code == 422
    assert mastodon_client(user).get("/api/v1/timelines/home?max_id=999999999999999999").status_code == 200


def test_unicode_digits_in_relationship_and_notification_filters_match_nothing(mastodon_client, user):
    client = mastodon_client(user)
    response = client.get(f"/api/v1/accounts/relationships?id[]={SUPERSCRIPT_TWO}")
    assert response.status_code == 200 and response.json() == []
    response = client.get(f"/api/v1/notifications?account_id={SUPERSCRIPT_TWO}")
    assert response.status_code == 200 and response.json() == []


def test_a_malformed_notification_id_is_mastodons_404(mastodon_client, user, other_user):
    client = mastodon_client(user)
    for path in (
        "/api/v1/notifications/%C2%84",
        "/api/v1/notifications/abc",
        f"/api/v1/notifications/{SUPERSCRIPT_TWO}",
    ):
        response = client.get(path)
        assert response.status_code == 404 and response.json() == {"error": "Record not found"}, path
        response = client.post(f"{path}/dismiss")
        assert response.status_code == 404 and response.json() == {"error": "Record not found"}, path
    # Dismissing a well-formed id stays idempotent.
    assert client.post("/api/v1/notifications/999/dismiss").json() == {}
    note = Notification.objects.create(recipient=user, actor=other_user, type="follow")
    assert client.get(f"/api/v1/notifications/{note.pk}").json()["type"] == "follow"


def test_our_notification_paths_stay_ours(auth_client, user):
    client = auth_client(user)
    assert client.get("/api/v1/notifications/unread_count").json() == {"count": 0}
    assert client.post("/api/v1/notifications/read_all").status_code == 204


@pytest.mark.parametrize(
    "body",
    [
        {"status": "hi", "visibility": ["public"]},
        {"status": "hi", "visibility": {"a": 1}},
        {"status": "hi", "sensitive": "maybe"},
        {"status": "hi", "sensitive": 3},
        {"status": "hi", "language": 5},
        {"status": "hi", "in_reply_to_id": True},
        {"status": "hi", "in_reply_to_id": f"1{SUPERSCRIPT_TWO}"},
    ],
)
def test_malformed_status_fields_are_a_422_not_a_500_nor_ignored(mastodon_client, user, body):
    response = mastodon_client(user).post("/api/v1/statuses", body, format="json")
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"error"}


def test_status_fields_accepted_as_the_schema_says(mastodon_client, user):
    parent = tweet_create(author=user, text="parent")
    client = mastodon_client(user)
    body = {"status": "reply", "in_reply_to_id": parent.pk, "sensitive": "false", "language": "a-long-language-tag"}
    response = client.post("/api/v1/statuses", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["in_reply_to_id"] == str(parent.pk)


def test_marker_ids_are_ascii_digits_or_json_integers(mastodon_client, user):
    client = mastodon_client(user)
    response = client.post("/api/v1/markers", {"home": {"last_read_id": SUPERSCRIPT_TWO}}, format="json")
    assert response.status_code == 422
    response = client.post("/api/v1/markers", {"home": {"last_read_id": 12}}, format="json")
    assert response.status_code == 200 and response.json()["home"]["last_read_id"] == "12"


@pytest.mark.parametrize("path", ["/nodeinfo/2.0", "/.well-known/nodeinfo", "/.well-known/oauth-authorization-server"])
def test_other_methods_on_the_json_documents_are_a_json_405(client, path):
    response = client.generic("QUERY", path)
    assert response.status_code == 405
    assert response.json() == {"error": "Method not allowed."}
    assert response["Allow"] == "GET"


def test_lookup_of_a_name_with_a_nul_is_a_404(client):
    response = client.get("/api/v1/accounts/lookup?acct=a%00")
    assert response.status_code == 404 and response.json() == {"error": "Record not found"}


ARABIC_INDIC = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")


@pytest.mark.parametrize(
    "spell", [lambda pk: f"+{pk}", lambda pk: f" {pk}", lambda pk: str(pk).translate(ARABIC_INDIC)]
)
def test_status_ids_in_paths_are_ascii_digits_only(mastodon_client, user, spell):
    # int() takes "+1", " 1" and ARABIC-INDIC ONE as 1: a DELETE of "/statuses/+1" deleted status 1.
    tweet = tweet_create(author=user, text="keep me")
    response = mastodon_client(user).delete(f"/api/v1/statuses/{quote(spell(tweet.pk))}")
    assert response.status_code == 404
    assert Tweet.objects.filter(pk=tweet.pk).exists()


def test_account_ids_in_paths_are_ascii_digits_only(mastodon_client, user, other_user):
    client = mastodon_client(user)
    assert client.get(f"/api/v1/accounts/+{other_user.pk}").status_code == 404
    assert client.get(f"/api/v1/accounts/{'9' * 30}").status_code == 404
    assert client.get(f"/api/v1/accounts/{other_user.pk}").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": 5},
        {"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "website": 5},
    ],
)
def test_apps_fields_of_the_wrong_type_are_a_422(client, body):
    response = client.post("/api/v1/apps", body, content_type="application/json")
    assert response.status_code == 422, response.content


def test_markers_and_credentials_objects_of_the_wrong_type_are_a_422(mastodon_client, user):
    client = mastodon_client(user, scope="read write")
    assert client.post("/api/v1/markers", {"home": "1"}, format="json").status_code == 422
    assert client.patch("/api/v1/accounts/update_credentials", {"source": "x"}, format="json").status_code == 422


def test_a_falsy_visibility_is_refused_not_taken_as_public(mastodon_client, user):
    response = mastodon_client(user).post("/api/v1/statuses", {"status": "hi", "visibility": 0}, format="json")
    assert response.status_code == 422


def test_search_of_an_unknown_type_is_a_422(mastodon_client, user):
    client = mastodon_client(user)
    assert client.get("/api/v2/search?q=a&type=people").status_code == 422
    assert client.get("/api/v2/search?q=a&type=accounts").status_code == 200


@pytest.mark.parametrize("fields", [[None], {"0": None}, ["Website"], {"0": [None, None]}])
def test_profile_fields_that_are_not_objects_are_a_422(mastodon_client, user, fields):
    client = mastodon_client(user, scope="read write")
    response = client.patch("/api/v1/accounts/update_credentials", {"fields_attributes": fields}, format="json")
    assert response.status_code == 422, response.content


@pytest.mark.parametrize(
    "body",
    [
        b"--xyz\r\n[]--xyz--\r\n",  # a part without headers, the closing delimiter not on its own line
        b"--xyz\r\n\r\nvalue\r\n--xyz--\r\n",  # a part without a Content-Disposition
        b'--xyz\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi--xyz--\r\n',
    ],
)
def test_a_garbage_multipart_profile_update_is_a_400_not_an_empty_form(mastodon_client, user, body):
    client = mastodon_client(user, scope="read write")
    response = client.generic(
        "PATCH", "/api/v1/accounts/update_credentials", body, content_type="multipart/form-data; boundary=xyz"
    )
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"error"}


def test_a_well_formed_multipart_profile_update_still_works(mastodon_client, user):
    client = mastodon_client(user, scope="read write")
    body = b'--xyz\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--xyz--\r\n'
    response = client.generic(
        "PATCH", "/api/v1/accounts/update_credentials", body, content_type="multipart/form-data; boundary=xyz"
    )
    assert response.status_code == 200, response.content
    assert response.json()["source"]["note"] == "hello"


def test_a_huge_search_offset_is_cut_not_refused(mastodon_client, user):
    # The schema sets no maximum: 23 digits are schema-valid and must be accepted (schemathesis).
    response = mastodon_client(user).get("/api/v1/accounts/search", {"q": "a", "offset": "54799964994835585171456"})
    assert response.status_code == 200
    assert response.json() == []


def test_an_empty_flag_in_a_profile_form_is_not_sent_and_the_schema_says_so(mastodon_client, user):
    from mastodon_api.openapi.operations._bodies import UPDATE_CREDENTIALS_FORM

    response = mastodon_client(user).patch(
        "/api/v1/accounts/update_credentials", "discoverable=", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert response.json()["discoverable"] is True
    assert "" in UPDATE_CREDENTIALS_FORM["properties"]["discoverable"]["enum"]
    assert "" not in UPDATE_CREDENTIALS_FORM["properties"]["display_name"].get("enum", [])
