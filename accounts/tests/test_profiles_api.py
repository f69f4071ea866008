import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import User
from accounts.tests.factories import UserFactory
from social.models import Block, Follow, Mute

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me"


def image_file(fmt="PNG", size=(64, 64), name="avatar.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def test_me_returns_private_profile_with_email(auth_client, user):
    body = auth_client(user).get(ME).json()
    assert body["email"] == user.email
    assert body["username"] == user.username
    assert {"followers_count", "following_count", "tweets_count", "created_at", "avatar_url"} <= set(body)
    assert "password" not in body


def test_me_needs_authentication(api_client):
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_patch_me_updates_profile_fields(auth_client, user):
    body = {"display_name": " Neo ", "bio": "Wake up", "location": "Zion", "website": "https://example.com"}
    response = auth_client(user).patch(ME, body, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.display_name, user.bio, user.location, user.website) == (
        "Neo",
        "Wake up",
        "Zion",
        "https://example.com",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("bio", "x" * 161), ("display_name", "x" * 51), ("website", "not a url"), ("location", "x" * 31)],
)
def test_patch_me_validates(auth_client, user, field, value):
    response = auth_client(user).patch(ME, {field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_patch_me_cannot_set_protected_fields(auth_client, user):
    body = {"username": "hacker", "email": "h@example.com", "is_staff": True, "followers_count": 999, "id": 1}
    response = auth_client(user).patch(ME, body, format="json")
    assert response.status_code == 200
    fresh = User.objects.get(pk=user.pk)
    assert fresh.username == user.username and fresh.email == user.email
    assert not fresh.is_staff and fresh.followers_count == 0


def test_avatar_upload_stores_an_image(auth_client, user):
    response = auth_client(user).patch(ME, {"avatar": image_file()}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["avatar_url"].startswith("http://testserver/media/avatars/")
    user.refresh_from_db()
    assert user.avatar.storage.exists(user.avatar.name)


def test_avatar_must_be_an_image(auth_client, user):
    fake = SimpleUploadedFile("evil.png", b"<?php echo 1; ?>", content_type="image/png")
    response = auth_client(user).patch(ME, {"avatar": fake}, format="multipart")
    assert response.status_code == 400
    assert "avatar" in response.json()["error"]["fields"]


def test_avatar_format_is_checked(auth_client, user):
    response = auth_client(user).patch(ME, {"avatar": image_file("BMP", name="a.bmp")}, format="multipart")
    assert response.status_code == 400


def test_avatar_too_large_is_413(auth_client, user, settings):
    settings.AVATAR_MAX_BYTES = 1000
    response = auth_client(user).patch(ME, {"avatar": image_file(size=(300, 300))}, format="multipart")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_body_over_the_limit_is_413_before_parsing(auth_client, user, settings):
    settings.MAX_REQUEST_BODY_BYTES = 100
    response = auth_client(user).patch(ME, {"bio": "x" * 200}, format="json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_avatar_can_be_removed(auth_client, user):
    client = auth_client(user)
    client.patch(ME, {"avatar": image_file()}, format="multipart")
    response = client.patch(ME, {"avatar": None}, format="json")
    assert response.status_code == 200
    assert response.json()["avatar_url"] is None


def test_public_profile_without_email(api_client, user):
    response = api_client.get(f"/api/v1/users/{user.username.upper()}")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == user.username
    assert "email" not in body
    assert "following" not in body  # viewer fields only for authenticated viewers


def test_public_profile_viewer_fields(auth_client, user, other_user):
    Follow.objects.create(follower=user, followee=other_user)
    Mute.objects.create(muter=user, muted=other_user)
    body = auth_client(user).get(f"/api/v1/users/{other_user.username}").json()
    assert (body["following"], body["followed_by"], body["blocking"], body["muting"]) == (True, False, False, True)
    reverse = auth_client(other_user).get(f"/api/v1/users/{user.username}").json()
    assert (reverse["following"], reverse["followed_by"]) == (False, True)


def test_unknown_and_suspended_profiles_are_404(api_client):
    UserFactory(username="gone", is_suspended=True)
    assert api_client.get("/api/v1/users/nobody").status_code == 404
    response = api_client.get("/api/v1/users/gone")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_blocker_profile_is_404_for_the_blocked(auth_client, user, other_user):
    Block.objects.create(blocker=other_user, blocked=user)
    assert auth_client(user).get(f"/api/v1/users/{other_user.username}").status_code == 404
    body = auth_client(other_user).get(f"/api/v1/users/{user.username}").json()
    assert body["blocking"] is True


def test_user_search_by_username_or_display_name_prefix(auth_client, user):
    UserFactory(username="johnny", display_name="Johnny")
    UserFactory(username="jo_bot", display_name="Bot")
    UserFactory(username="zed", display_name="Jolene")
    UserFactory(username="joker", is_suspended=True)
    UserFactory(username="bob", display_name="Bob")
    response = auth_client(user).get("/api/v1/users", {"q": "JO"})
    assert response.status_code == 200
    names = {u["username"] for u in response.json()["results"]}
    assert names == {"johnny", "jo_bot", "zed"}


def test_user_search_needs_q(auth_client, user):
    response = auth_client(user).get("/api/v1/users")
    assert response.status_code == 400
    assert "q" in response.json()["error"]["fields"]


def test_user_search_paginates_with_fixed_queries(auth_client, user, django_assert_max_num_queries):
    for i in range(30):
        UserFactory(username=f"page{i}")
    client = auth_client(user)
    seen = []
    url = "/api/v1/users?q=page&page_size=7"
    while url:
        with django_assert_max_num_queries(3):
            body = client.get(url).json()
        seen += [u["username"] for u in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(f"page{i}" for i in range(30))


def test_invalid_page_size_and_cursor_are_400(auth_client, user):
    client = auth_client(user)
    assert client.get("/api/v1/users", {"q": "a", "page_size": "abc"}).status_code == 400
    assert client.get("/api/v1/users", {"q": "a", "cursor": "zzz"}).status_code == 400
    # A well-formed cursor whose position is not an id is refused, not a 500.
    import base64

    bogus = base64.b64encode(b"p=abc").decode()
    assert client.get("/api/v1/users", {"q": "a", "cursor": bogus}).status_code == 400
