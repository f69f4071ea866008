"""The REST endpoints of audio rooms, with their role rules and limits."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.tests.factories import UserFactory
from notifications.models import Notification
from rooms.models import Participant, Role, Room, RoomState
from rooms.tests import api_helpers
from rooms.tests.api_helpers import ROOMS, error_code, join, state_of, url
from rooms.tests.factories import RoomFactory, live_room
from social.models import Block, Follow

pytestmark = pytest.mark.django_db

host, room = api_helpers.host, api_helpers.room  # the fixtures


# --- create, list, detail ----------------------------------------------------------------------


def test_create_room_makes_the_creator_host(auth_client, user):
    response = auth_client(user).post(ROOMS, {"title": "  Morning chat ", "description": "coffee"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Morning chat"
    assert body["host"]["username"] == user.username
    assert body["state"] == "scheduled"
    assert body["participants"] == []
    assert body["listener_count"] == 0
    assert body["speaker_count"] == 0
    assert Room.objects.get(pk=body["id"]).host == user


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 101}, "title"),
        ({}, "title"),
        ({"title": "ok", "description": "d" * 501}, "description"),
        ({"title": "ok", "scheduled_for": "not a date"}, "scheduled_for"),
        ({"title": "ok", "scheduled_for": "2001-01-01T00:00:00Z"}, "scheduled_for"),
    ],
)
def test_create_room_validation(auth_client, user, body, field):
    response = auth_client(user).post(ROOMS, body, format="json")
    assert response.status_code == 400
    assert error_code(response) == "invalid"
    assert field in response.json()["error"]["fields"]
    assert not Room.objects.exists()


def test_create_room_with_schedule(auth_client, user):
    when = timezone.now() + timedelta(days=1)
    response = auth_client(user).post(ROOMS, {"title": "Later", "scheduled_for": when.isoformat()}, format="json")
    assert response.status_code == 201
    assert Room.objects.get().scheduled_for == when


def test_rooms_need_authentication(api_client, room):
    assert api_client.get(ROOMS).status_code == 401
    assert api_client.post(ROOMS, {"title": "x"}, format="json").status_code == 401
    assert api_client.post(url(room, "/join")).status_code == 401


def test_detail_lists_participants_host_first(auth_client, room, host):
    listener = join(room)
    speaker = join(room, role=Role.SPEAKER)
    body = auth_client(listener.user).get(url(room)).json()
    assert [p["user"]["id"] for p in body["participants"]] == [host.pk, speaker.user.pk, listener.user.pk]
    assert [p["role"] for p in body["participants"]] == ["host", "speaker", "listener"]
    assert body["listener_count"] == 1
    assert body["speaker_count"] == 2
    assert set(body["participants"][0]) == {"user", "role", "hand_raised", "muted", "muted_by_host", "joined_at"}


def test_detail_leaves_out_who_left(auth_client, room, user):
    join(room, left_at=timezone.now())
    body = auth_client(user).get(url(room)).json()
    assert len(body["participants"]) == 1
    assert body["listener_count"] == 0


def test_unknown_room_is_404(auth_client, user):
    response = auth_client(user).get(f"{ROOMS}/999999")
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert auth_client(user).post(f"{ROOMS}/999999/join").status_code == 404


def test_room_of_a_host_who_blocks_you_is_hidden(auth_client, room, host, user):
    Block.objects.create(blocker=host, blocked=user)
    client = auth_client(user)
    assert client.get(url(room)).status_code == 404
    assert client.post(url(room, "/join")).status_code == 404
    assert room.pk not in [r["id"] for r in client.get(ROOMS).json()["results"]]
    assert not Participant.objects.filter(room=room, user=user).exists()


def test_list_filters_by_state(auth_client, user):
    scheduled = RoomFactory()
    live = live_room()
    ended = RoomFactory(state=RoomState.ENDED)
    client = auth_client(user)
    assert [r["id"] for r in client.get(ROOMS, {"state": "live"}).json()["results"]] == [live.pk]
    assert [r["id"] for r in client.get(ROOMS, {"state": "scheduled"}).json()["results"]] == [scheduled.pk]
    assert [r["id"] for r in client.get(ROOMS, {"state": "ended"}).json()["results"]] == [ended.pk]
    assert [r["id"] for r in client.get(ROOMS).json()["results"]] == [ended.pk, live.pk, scheduled.pk]


def test_list_rejects_an_unknown_state(auth_client, user):
    response = auth_client(user).get(ROOMS, {"state": "open"})
    assert response.status_code == 400
    assert "state" in response.json()["error"]["fields"]


def test_list_puts_live_rooms_of_followed_hosts_first_and_pages_without_gaps(auth_client, user):
    followed_host = UserFactory()
    Follow.objects.create(follower=user, followee=followed_host)
    old_followed = live_room(host=followed_host)
    others = [live_room() for _ in range(3)]
    new_followed = live_room(host=followed_host)
    client = auth_client(user)
    first = client.get(ROOMS, {"state": "live", "page_size": 3}).json()
    second = client.get(first["next"]).json()
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == [new_followed.pk, old_followed.pk] + [r.pk for r in reversed(others)]
    assert second["next"] is None


def test_list_shows_the_stage_and_counts(auth_client, room, user):
    join(room)
    join(room)
    join(room, role=Role.SPEAKER)
    result = auth_client(user).get(ROOMS, {"state": "live"}).json()["results"][0]
    assert [p["role"] for p in result["participants"]] == ["host", "speaker"]
    assert result["listener_count"] == 2
    assert result["speaker_count"] == 2


def test_list_costs_a_fixed_number_of_queries(auth_client, user, django_assert_max_num_queries):
    for _ in range(6):
        room = live_room()
        join(room)
        join(room, role=Role.SPEAKER)
    client = auth_client(user)
    with django_assert_max_num_queries(3):  # user, rooms with counts, stage participants
        response = client.get(ROOMS, {"page_size": 2})
    assert len(response.json()["results"]) == 2
    with django_assert_max_num_queries(3):
        response = client.get(ROOMS, {"page_size": 100})
    assert len(response.json()["results"]) == 6


# --- edit, delete -------------------------------------------------------------------------------


def test_host_edits_a_scheduled_room(auth_client, user):
    room = RoomFactory(host=user)
    response = auth_client(user).patch(url(room), {"title": "New", "description": "more"}, format="json")
    assert response.status_code == 200
    room.refresh_from_db()
    assert (room.title, room.description) == ("New", "more")


def test_another_user_cannot_edit_or_delete(auth_client, user, other_user):
    room = RoomFactory(host=user, title="Mine")
    client = auth_client(other_user)
    response = client.patch(url(room), {"title": "Theirs"}, format="json")
    assert response.status_code == 403
    assert error_code(response) == "not_host"
    assert client.delete(url(room)).status_code == 403
    room.refresh_from_db()
    assert room.title == "Mine"


def test_live_room_cannot_be_edited_or_deleted(auth_client, room, host):
    client = auth_client(host)
    response = client.patch(url(room), {"title": "New"}, format="json")
    assert response.status_code == 409
    assert error_code(response) == "room_not_editable"
    assert client.delete(url(room)).status_code == 409
    assert Room.objects.filter(pk=room.pk, title=room.title).exists()


def test_edit_validation(auth_client, user):
    room = RoomFactory(host=user, title="Keep")
    client = auth_client(user)
    assert client.patch(url(room), {"title": "  "}, format="json").status_code == 400
    assert client.patch(url(room), {"scheduled_for": "2001-01-01T00:00:00Z"}, format="json").status_code == 400
    room.refresh_from_db()
    assert room.title == "Keep"


def test_host_deletes_a_scheduled_room(auth_client, user):
    room = RoomFactory(host=user)
    assert auth_client(user).delete(url(room)).status_code == 204
    assert not Room.objects.exists()


# --- start, end ----------------------------------------------------------------------------------


def test_host_starts_the_room_and_followers_are_notified(
    auth_client, user, other_user, django_capture_on_commit_callbacks
):
    Follow.objects.create(follower=other_user, followee=user)
    room = RoomFactory(host=user)
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client(user).post(url(room, "/start"))
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "live"
    assert body["started_at"] is not None
    assert [(p["user"]["id"], p["role"]) for p in body["participants"]] == [(user.pk, "host")]
    notification = Notification.objects.get(recipient=other_user)
    assert (notification.type, notification.room_id, notification.actor_id) == ("room_live", room.pk, user.pk)


def test_only_the_host_starts(auth_client, user, other_user):
    room = RoomFactory(host=user)
    response = auth_client(other_user).post(url(room, "/start"))
    assert response.status_code == 403
    room.refresh_from_db()
    assert room.state == RoomState.SCHEDULED
    assert not Participant.objects.exists()


def test_starting_twice_or_after_the_end_conflicts(auth_client, room, host):
    response = auth_client(host).post(url(room, "/start"))
    assert response.status_code == 409
    assert error_code(response) == "room_live"
    Room.objects.filter(pk=room.pk).update(state=RoomState.ENDED)
    assert error_code(auth_client(host).post(url(room, "/start"))) == "room_ended"


def test_host_ends_the_room_and_everyone_leaves(auth_client, room, host):
    listener = join(room)
    response = auth_client(host).post(url(room, "/end"))
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "ended"
    assert body["ended_at"] is not None
    assert body["participants"] == []
    assert state_of(room, listener.user).left_at is not None
    assert state_of(room, host).left_at is not None


def test_another_user_cannot_end_the_room(auth_client, room, user):
    join(room, user=user, role=Role.COHOST)
    response = auth_client(user).post(url(room, "/end"))
    assert response.status_code == 403
    room.refresh_from_db()
    assert room.state == RoomState.LIVE
    assert state_of(room, user).left_at is None


def test_a_moderator_may_end_any_live_room(auth_client, room, user):
    # A moderator is a staff account with the permission; the end is logged (moderation/tests).
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(Permission.objects.get(codename="change_room", content_type__app_label="rooms"))
    response = auth_client(user).post(url(room, "/end"))
    assert response.status_code == 200
    room.refresh_from_db()
    assert room.state == RoomState.ENDED


def test_ending_an_ended_room_changes_nothing_and_a_scheduled_one_conflicts(auth_client, room, host):
    client = auth_client(host)
    client.post(url(room, "/end"))
    ended_at = Room.objects.get(pk=room.pk).ended_at
    assert client.post(url(room, "/end")).status_code == 200
    assert Room.objects.get(pk=room.pk).ended_at == ended_at
    scheduled = RoomFactory(host=host)
    assert error_code(client.post(url(scheduled, "/end"))) == "room_not_live"


# --- ICE servers ----------------------------------------------------------------------------------------


def test_ice_servers_default_to_none(auth_client, user):
    response = auth_client(user).get(f"{ROOMS}/ice_servers")
    assert response.status_code == 200
    assert response.json() == {"ice_servers": []}


def test_ice_servers_with_turn_rest_credentials(auth_client, user, settings):
    import base64
    import hashlib
    import hmac
    import time

    settings.ROOM_ICE_SERVERS = [
        {"urls": "stun:stun.example.com:3478"},
        {"urls": ["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"]},
        {"urls": ["turn:static.example.com"], "username": "fixed", "credential": "pw"},
        {"no_urls": True},
    ]
    settings.ROOM_TURN_SECRET = "s3cret"
    settings.ROOM_TURN_TTL_SECONDS = 600
    servers = auth_client(user).get(f"{ROOMS}/ice_servers").json()["ice_servers"]
    assert len(servers) == 3
    assert servers[0] == {"urls": ["stun:stun.example.com:3478"]}
    assert servers[2] == {"urls": ["turn:static.example.com"], "username": "fixed", "credential": "pw"}
    turn = servers[1]
    expiry, user_id = turn["username"].split(":")
    assert user_id == str(user.pk)
    assert 590 <= int(expiry) - time.time() <= 600
    expected = base64.b64encode(hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected


def test_ice_servers_need_authentication(api_client):
    assert api_client.get(f"{ROOMS}/ice_servers").status_code == 401


def test_detail_costs_a_fixed_number_of_queries(auth_client, room, user, django_assert_max_num_queries):
    client = auth_client(user)
    join(room)
    with django_assert_max_num_queries(3):  # user, room with counts, participants with users
        client.get(url(room))
    for _ in range(10):
        join(room)
    with django_assert_max_num_queries(3):
        assert len(client.get(url(room)).json()["participants"]) == 12


def test_bad_requests_get_the_error_envelope(auth_client, room, host):
    client = auth_client(host)
    response = client.get(f"{ROOMS}/not-a-number")
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    response = client.put(url(room), {"title": "x"}, format="json")
    assert response.status_code == 405
    assert "error" in response.json()
    response = client.post(ROOMS, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()
    response = client.post(ROOMS, "title=x", content_type="text/plain")
    assert response.status_code == 415
    assert "error" in response.json()
    response = client.post(url(room, "/speakers/bad%20name"))
    assert response.status_code == 404
