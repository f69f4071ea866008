"""The REST endpoints: only the recipient's own notifications, paginated in fixed queries."""

from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from notifications.models import Notification
from tweets.models import Visibility

from .factories import block, follow, live_room, notification, tweet

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications"


def test_list_is_newest_first_with_the_contract_shape(user, other_user, auth_client):
    older = notification(user, other_user, "follow")
    post = tweet(user, "my tweet")
    newer = notification(user, other_user, "like", tweet=post)
    response = auth_client(user).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "next", "previous"}
    assert [n["id"] for n in body["results"]] == [newer.pk, older.pk]
    item = body["results"][0]
    assert set(item) == {"id", "type", "actor", "tweet", "room", "created_at", "read"}
    assert item["type"] == "like" and item["read"] is False and item["room"] is None
    assert item["actor"]["username"] == other_user.username
    assert item["tweet"]["id"] == post.pk
    assert item["tweet"]["text"] == "my tweet" and item["tweet"]["author"]["username"] == user.username
    assert {"like_count", "retweet_count", "quote_of", "retweet_of", "liked", "bookmarked"} <= set(item["tweet"])
    assert item["created_at"].endswith("Z")
    assert body["results"][1]["tweet"] is None


def test_room_live_carries_the_room(user, other_user, auth_client):
    room = live_room(other_user, "Morning show")
    notification(user, other_user, "room_live", room=room)
    item = auth_client(user).get(URL).json()["results"][0]
    assert item["room"] == {"id": room.pk, "title": "Morning show", "state": "live"}


def test_list_shows_only_the_users_own(user, other_user, auth_client):
    notification(other_user, user, "follow")
    mine = notification(user, other_user, "follow")
    assert [n["id"] for n in auth_client(user).get(URL).json()["results"]] == [mine.pk]


def test_unread_filter(user, other_user, auth_client):
    read = notification(user, other_user, "follow", read=True)
    unread = notification(user, UserFactory(), "follow")
    client = auth_client(user)
    assert [n["id"] for n in client.get(URL, {"unread": "true"}).json()["results"]] == [unread.pk]
    assert [n["id"] for n in client.get(URL, {"unread": "false"}).json()["results"]] == [unread.pk, read.pk]


def test_invalid_unread_value_is_a_400_envelope(user, auth_client):
    response = auth_client(user).get(URL, {"unread": "maybe"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"unread": ["Must be true or false."]}


def test_invalid_cursor_and_page_size_are_400(user, auth_client):
    client = auth_client(user)
    assert client.get(URL, {"cursor": "garbage"}).status_code == 400
    assert client.get(URL, {"page_size": "0"}).status_code == 400


def test_pagination_neither_skips_nor_repeats_when_new_ones_arrive(user, auth_client):
    actors = UserFactory.create_batch(5)
    made = [notification(user, a, "follow") for a in actors]
    client = auth_client(user)
    first = client.get(URL, {"page_size": 2}).json()
    notification(user, UserFactory(), "follow")  # arrives between pages
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    seen = [n["id"] for page in (first, second, third) for n in page["results"]]
    assert seen == [n.pk for n in reversed(made)]
    assert third["next"] is None


def test_a_page_costs_a_fixed_number_of_queries(user, auth_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for index in range(10):
        actor = UserFactory()
        follow(user, actor)
        post = tweet(user, f"#tag{index} hello @{actor.username}")
        notification(user, actor, "like", tweet=post)
        quote = tweet(actor, "look at this", quote_of=post)
        notification(user, actor, "quote", tweet=quote)
        retweet = tweet(actor, "", retweet_of=quote)
        notification(user, actor, "retweet", tweet=retweet)
        notification(user, actor, "room_live", room=live_room(actor))
    client = auth_client(user)
    # The first request fills the token-version cache (one query, once) and the hydration
    # cache of every tweet shown below (hashtags and mentions: two queries while cold).
    client.get(URL, {"page_size": 40})
    counts = {}
    for page_size in (4, 40):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"page_size": page_size})
        assert len(response.json()["results"]) == page_size
        counts[page_size] = len(queries)
    assert counts[4] == counts[40], counts
    assert counts[40] <= 15, counts  # user, page, and the tweets' fixed display queries


def test_a_tweet_the_recipient_may_no_longer_see_is_null(user, other_user, auth_client):
    # other_user replied with a followers-only tweet; user stopped following them.
    reply = tweet(other_user, "for my followers", visibility=Visibility.FOLLOWERS)
    notification(user, other_user, "mention", tweet=reply)
    assert auth_client(user).get(URL).json()["results"][0]["tweet"] is None
    follow(user, other_user)
    assert auth_client(user).get(URL).json()["results"][0]["tweet"]["id"] == reply.pk


def test_tweets_of_someone_who_blocks_the_recipient_or_hidden_ones_are_null(user, other_user, auth_client):
    blocked_view = tweet(other_user, "hi @you")
    hidden = tweet(UserFactory(), "hidden by moderators", is_hidden=True)
    notification(user, other_user, "mention", tweet=blocked_view)
    notification(user, hidden.author, "mention", tweet=hidden)
    block(other_user, user)
    results = auth_client(user).get(URL).json()["results"]
    assert [n["tweet"] for n in results] == [None, None]


def test_own_followers_only_tweet_is_shown(user, other_user, auth_client):
    mine = tweet(user, "followers only", visibility=Visibility.FOLLOWERS)
    notification(user, other_user, "like", tweet=mine)
    assert auth_client(user).get(URL).json()["results"][0]["tweet"]["id"] == mine.pk


def test_unread_count(user, other_user, auth_client):
    notification(user, other_user, "follow")
    notification(user, UserFactory(), "follow", read=True)
    notification(other_user, user, "follow")
    response = auth_client(user).get(f"{URL}/unread_count")
    assert response.status_code == 200
    assert response.json() == {"count": 1}


def test_mark_one_read(user, other_user, auth_client):
    mine = notification(user, other_user, "follow")
    client = auth_client(user)
    response = client.post(f"{URL}/{mine.pk}/read")
    assert response.status_code == 204
    mine.refresh_from_db()
    assert mine.read is True
    assert client.post(f"{URL}/{mine.pk}/read").status_code == 204  # idempotent
    assert client.get(f"{URL}/unread_count").json() == {"count": 0}


def test_marking_another_users_notification_is_a_404_and_changes_nothing(user, other_user, auth_client):
    theirs = notification(other_user, user, "follow")
    response = auth_client(user).post(f"{URL}/{theirs.pk}/read")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read is False


def test_unknown_and_out_of_range_ids_are_404(user, auth_client):
    client = auth_client(user)
    assert client.post(f"{URL}/999999/read").status_code == 404
    assert client.post(f"{URL}/99999999999999999999999/read").status_code == 404
    assert client.post(f"{URL}/abc/read").status_code == 404


def test_read_all_marks_only_the_users_own(user, other_user, auth_client):
    mine = [notification(user, other_user, "follow"), notification(user, UserFactory(), "follow")]
    theirs = notification(other_user, user, "follow")
    assert auth_client(user).post(f"{URL}/read_all").status_code == 204
    assert all(Notification.objects.get(pk=n.pk).read for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read is False


def test_delete_clears_only_the_users_own(user, other_user, auth_client):
    notification(user, other_user, "follow")
    theirs = notification(other_user, user, "follow")
    client = auth_client(user)
    assert client.delete(URL).status_code == 204
    assert client.get(URL).json()["results"] == []
    assert list(Notification.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert client.delete(URL).status_code == 204  # nothing left: still fine


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", URL),
        ("delete", URL),
        ("get", f"{URL}/unread_count"),
        ("post", f"{URL}/1/read"),
        ("post", f"{URL}/read_all"),
    ],
)
def test_anonymous_requests_are_401(api_client, method, path):
    response = getattr(api_client, method)(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", URL),
        ("put", URL),
        ("get", f"{URL}/read_all"),
        ("get", f"{URL}/1/read"),
        ("post", f"{URL}/unread_count"),
    ],
)
def test_wrong_methods_are_405_envelopes(user, auth_client, method, path):
    response = getattr(auth_client(user), method)(path)
    assert response.status_code == 405
    assert "error" in response.json()


def test_schema_lists_every_notification_endpoint(api_client):
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert set(paths["/api/v1/notifications"]) >= {"get", "delete"}
    assert "get" in paths["/api/v1/notifications/unread_count"]
    assert "post" in paths["/api/v1/notifications/read_all"]
    assert "post" in paths["/api/v1/notifications/{id}/read"]
    listed = paths["/api/v1/notifications"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    # One operation for both APIs on this path (by token): ours, or Mastodon's list (mastodon_api/openapi).
    assert listed["oneOf"][0]["$ref"].endswith("PaginatedNotificationList")
