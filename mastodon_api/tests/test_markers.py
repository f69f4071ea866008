"""GET/POST /api/v1/markers: saved reading positions, form or JSON, versions bumped atomically."""

from __future__ import annotations

import re

import pytest

from accounts.tests.factories import UserFactory
from mastodon_api.models import Marker
from tweets.tests.test_concurrency import run_together

pytestmark = pytest.mark.django_db

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def test_save_with_a_form_then_with_json_and_read_back(mastodon_client, user):
    client = mastodon_client(user)
    assert client.get("/api/v1/markers").json() == {}  # no timeline asked: an empty object
    assert client.get("/api/v1/markers", {"timeline[]": ["home"]}).json() == {}  # nothing saved yet

    body = client.post("/api/v1/markers", {"home[last_read_id]": "103"}).json()
    assert set(body) == {"home"}
    assert body["home"]["last_read_id"] == "103" and body["home"]["version"] == 0
    assert re.fullmatch(ISO, body["home"]["updated_at"])

    response = client.post(
        "/api/v1/markers",
        {"home": {"last_read_id": "110"}, "notifications": {"last_read_id": 7}},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["home"]["last_read_id"] == "110" and body["home"]["version"] == 1
    assert body["notifications"] == {
        "last_read_id": "7",
        "version": 0,
        "updated_at": body["notifications"]["updated_at"],
    }

    both = client.get("/api/v1/markers", {"timeline[]": ["home", "notifications", "bogus"]}).json()
    assert both == body
    only_home = client.get("/api/v1/markers", {"timeline": "home"}).json()
    assert set(only_home) == {"home"}


def test_markers_are_per_user(mastodon_client, user, other_user):
    mastodon_client(user).post("/api/v1/markers", {"home[last_read_id]": "5"})
    other = mastodon_client(other_user)
    assert other.get("/api/v1/markers", {"timeline[]": "home"}).json() == {}
    other.post("/api/v1/markers", {"home[last_read_id]": "9"})
    mine = mastodon_client(user).get("/api/v1/markers", {"timeline[]": "home"}).json()
    assert mine["home"]["last_read_id"] == "5" and mine["home"]["version"] == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"home": {"last_read_id": "abc"}},
        {"home": {"last_read_id": ""}},
        {"home": {"other": "1"}},
        {"notifications": {"last_read_id": "-1"}},
        {"home": {"last_read_id": str(2**63)}},
        {"home": {"last_read_id": True}},
        {"home": {"last_read_id": ["1"]}},
    ],
)
def test_bad_positions_are_422(mastodon_client, user, payload):
    response = mastodon_client(user).post("/api/v1/markers", payload, format="json")
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"error"}
    assert not Marker.objects.exists()


def test_a_json_body_that_is_not_an_object_is_422(mastodon_client, user):
    response = mastodon_client(user).post("/api/v1/markers", ["home"], format="json")
    assert response.status_code == 422 and set(response.json()) == {"error"}


def test_scopes(mastodon_client, user, client):
    reader = mastodon_client(user, scope="read")
    assert reader.get("/api/v1/markers", {"timeline[]": "home"}).status_code == 200
    assert reader.post("/api/v1/markers", {"home[last_read_id]": "1"}).status_code == 403
    writer = mastodon_client(user, scope="write:statuses")
    assert writer.get("/api/v1/markers").status_code == 403
    assert writer.post("/api/v1/markers", {"home[last_read_id]": "1"}).status_code == 200
    assert client.get("/api/v1/markers").status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_each_bump_the_version_once(mastodon_client):
    user = UserFactory()
    clients = [mastodon_client(user) for _ in range(20)]
    calls = [
        (lambda client=client, n=n: client.post("/api/v1/markers", {"home[last_read_id]": str(100 + n)}))
        for n, client in enumerate(clients)
    ]
    responses = run_together(calls)
    assert {response.status_code for response in responses} == {200}, [r.content for r in responses]
    versions = sorted(response.json()["home"]["version"] for response in responses)
    assert versions == list(range(20))  # the first created it (0), each other save counted once
    marker = Marker.objects.get(user=user)
    assert marker.version == 19
    assert marker.last_read_id in range(100, 120)


def test_unread_count_counts_notifications_above_the_marker(mastodon_client, auth_client, user, other_user):
    from notifications.models import Notification
    from social.services import block_create, follow_create
    from tweets.services import like_create, tweet_create

    post = tweet_create(author=user, text="like me")
    follow_create(follower=other_user, followee=user)
    like_create(user=other_user, tweet_id=post.pk)
    third = UserFactory()
    follow_create(follower=third, followee=user)
    client = mastodon_client(user)
    count = "/api/v1/notifications/unread_count"
    assert client.get(count).json() == {"count": 3}  # no marker: all of them
    assert client.get(count, {"types[]": ["follow"]}).json() == {"count": 2}
    assert client.get(count, {"exclude_types[]": ["follow"]}).json() == {"count": 1}
    assert client.get(count, {"limit": 2}).json() == {"count": 2}
    oldest = Notification.objects.filter(recipient=user).order_by("id").first()
    client.post("/api/v1/markers", {"notifications[last_read_id]": str(oldest.pk)})
    assert client.get(count).json() == {"count": 2}
    # a like on a post the user can no longer see is not counted (nor listed)
    stranger_post = tweet_create(author=third, text="mention @" + user.username)
    block_create(blocker=third, blocked=user)
    assert Notification.objects.filter(recipient=user, tweet=stranger_post).exists()
    assert client.get(count).json() == {"count": 2}
    assert mastodon_client(other_user).get(count).json() == {"count": 0}  # only one's own
    assert mastodon_client(user, scope="write").get(count).status_code == 403
    # our API keeps its own unread count (the read flag) with a JWT
    assert auth_client(user).get(count).json() == {"count": 4}


def test_a_null_timeline_is_422(mastodon_client, user):
    response = mastodon_client(user).post(
        "/api/v1/markers", {"home": {"last_read_id": "1"}, "notifications": None}, format="json"
    )
    assert response.status_code == 422 and not Marker.objects.exists()
