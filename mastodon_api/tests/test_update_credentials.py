"""PATCH /api/v1/accounts/update_credentials: our profile update in Mastodon's names."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.test_profiles_api import image_file

pytestmark = pytest.mark.django_db

PATH = "/api/v1/accounts/update_credentials"


def test_form_update_answers_the_credential_account(mastodon_client, user):
    response = mastodon_client(user).patch(
        PATH,
        {
            "display_name": "  Ada L.  ",
            "note": "Counting #engines",
            "fields_attributes[0][name]": "Website",
            "fields_attributes[0][value]": "https://ada.example",
            "fields_attributes[1][name]": "location",
            "fields_attributes[1][value]": "London",
            "fields_attributes[2][name]": "",
            "fields_attributes[2][value]": "",
            "locked": "false",
            "bot": "0",
            "discoverable": "true",
            "source[privacy]": "public",
            "source[sensitive]": "false",
            "source[language]": "",
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == str(user.pk) and body["display_name"] == "Ada L."
    assert body["source"]["note"] == "Counting #engines"
    assert body["note"] == "<p>Counting #engines</p>"
    assert body["source"]["fields"] == [
        {"name": "Website", "value": "https://ada.example", "verified_at": None},
        {"name": "Location", "value": "London", "verified_at": None},
    ]
    user.refresh_from_db()
    assert (user.display_name, user.bio, user.website, user.location) == (
        "Ada L.",
        "Counting #engines",
        "https://ada.example",
        "London",
    )


def test_json_update_and_fields_replace_the_set(mastodon_client, user):
    user.website, user.location = "https://old.example", "Paris"
    user.save()
    client = mastodon_client(user)
    response = client.patch(
        PATH,
        {"note": "new bio", "fields_attributes": {"0": {"name": "Website", "value": "https://new.example"}}},
        format="json",
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.bio, user.website, user.location) == ("new bio", "https://new.example", "")
    # without fields_attributes, the fields stay; a list is accepted too
    client.patch(PATH, {"display_name": "X"}, format="json")
    user.refresh_from_db()
    assert user.website == "https://new.example" and user.display_name == "X"
    client.patch(PATH, {"fields_attributes": [{"name": "Location", "value": "Rome"}]}, format="json")
    user.refresh_from_db()
    assert (user.website, user.location) == ("", "Rome")


def test_avatar_upload_with_multipart(mastodon_client, user):
    response = mastodon_client(user).patch(PATH, {"avatar": image_file()}, format="multipart")
    assert response.status_code == 200, response.content
    assert "/media/avatars/" in response.json()["avatar"]
    user.refresh_from_db()
    assert user.avatar.storage.exists(user.avatar.name)


@pytest.mark.parametrize(
    "payload",
    [
        {"note": "x" * 161},  # our bio limit, as on PATCH /api/v1/users/me
        {"display_name": "x" * 51},
        {"display_name": 5},
        {"fields_attributes": {"0": {"name": "Website", "value": "not a url"}}},
        {"fields_attributes": {"0": {"name": "Pronouns", "value": "she/her"}}},
        {"fields_attributes": [{"name": "Website", "value": "https://a.example"}, {"name": "website", "value": "b"}]},
        {"fields_attributes": "Website"},
        {"fields_attributes": [{"name": ["Website"], "value": "x"}]},
        {"locked": True},
        {"bot": "true"},
        {"discoverable": False},
        {"locked": "maybe"},
        {"source": {"privacy": "private"}},
        {"source": {"sensitive": True}},
        {"source": {"language": "en"}},
        {"avatar": "https://example.com/a.png"},
    ],
)
def test_invalid_updates_are_422_and_change_nothing(mastodon_client, user, payload):
    before = (user.display_name, user.bio, user.website, user.location)
    response = mastodon_client(user).patch(PATH, payload, format="json")
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"error"} and response.json()["error"].startswith("Validation failed")
    user.refresh_from_db()
    assert (user.display_name, user.bio, user.website, user.location) == before


def test_invalid_avatar_and_header_are_refused(mastodon_client, user):
    client = mastodon_client(user)
    response = client.patch(PATH, {"header": image_file(name="header.png")}, format="multipart")
    assert response.status_code == 422 and "header" in response.json()["error"]
    evil = SimpleUploadedFile("evil.png", b"<?php echo 1; ?>", content_type="image/png")
    response = client.patch(PATH, {"avatar": evil}, format="multipart")
    assert response.status_code == 422 and "avatar" in response.json()["error"]
    user.refresh_from_db()
    assert not user.avatar


def test_a_too_large_avatar_is_413(mastodon_client, user, settings):
    settings.AVATAR_MAX_BYTES = 1000
    response = mastodon_client(user).patch(PATH, {"avatar": image_file(size=(300, 300))}, format="multipart")
    assert response.status_code == 413 and set(response.json()) == {"error"}


def test_scope_and_token(mastodon_client, user, api_client):
    assert mastodon_client(user, scope="read").patch(PATH, {"note": "x"}, format="json").status_code == 403
    assert mastodon_client(user, scope="write:accounts").patch(PATH, {"note": "x"}, format="json").status_code == 200
    assert api_client.patch(PATH, {"note": "x"}, format="json").status_code == 401
    # GET is not update_credentials' method, and the path is not an account id
    assert mastodon_client(user).get(PATH).status_code == 405


def test_only_the_tokens_own_profile_changes(mastodon_client, user, other_user):
    mastodon_client(other_user).patch(PATH, {"note": "mine"}, format="json")
    user.refresh_from_db()
    other_user.refresh_from_db()
    assert other_user.bio == "mine" and user.bio != "mine"


def test_a_null_default_language_is_accepted(mastodon_client, user):
    response = mastodon_client(user).patch(PATH, {"source": {"language": None}}, format="json")
    assert response.status_code == 200


def test_an_empty_in_reply_to_id_in_a_form_is_no_reply(mastodon_client, user):
    response = mastodon_client(user).post("/api/v1/statuses", {"status": "hi", "in_reply_to_id": ""})
    assert response.status_code == 200 and response.json()["in_reply_to_id"] is None


@pytest.mark.parametrize("key", ["note", "display_name"])
def test_a_json_null_parameter_is_422(mastodon_client, user, key):
    assert mastodon_client(user).patch(PATH, {key: None}, format="json").status_code == 422


@pytest.mark.parametrize("key", ["status"])
def test_a_json_null_status_parameter_is_422(mastodon_client, user, key):
    payload = {"status": "hi", key: None}
    assert mastodon_client(user).post("/api/v1/statuses", payload, format="json").status_code == 422


def test_json_null_avatar_removes_it(mastodon_client, user):
    client = mastodon_client(user)
    client.patch(PATH, {"avatar": image_file()}, format="multipart")
    user.refresh_from_db()
    assert user.avatar
    assert client.patch(PATH, {"avatar": None}, format="json").status_code == 200
    user.refresh_from_db()
    assert not user.avatar
