"""A moderator's delete of someone's tweet, or end of someone's room, through the public API is a
moderator action like the admin's: recorded in the moderation log, settling the open reports on
the target; a non-staff account holding the permission is refused. The author deleting their own
tweet, or the host ending their own room, is not logged."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from accounts.tests.factories import UserFactory
from moderation import services
from moderation.models import ActionType, ModerationAction, ReportStatus
from rooms.models import Room, RoomState
from tweets.models import Tweet

from .factories import make_room, make_tweet

pytestmark = pytest.mark.django_db


def test_moderators_api_delete_of_a_tweet_is_logged_and_settles_its_reports(moderator, auth_client):
    author, reporter = UserFactory(), UserFactory()
    tweet = make_tweet(author, "something awful")
    report, _ = services.report_create(reporter=reporter, target_type="tweet", target=tweet.pk)

    assert auth_client(moderator).delete(f"/api/v1/tweets/{tweet.pk}").status_code == 204

    assert not Tweet.objects.filter(pk=tweet.pk).exists()
    entry = ModerationAction.objects.get()
    assert (entry.action, entry.moderator_id) == (ActionType.DELETE_TWEET, moderator.pk)
    assert entry.target_object_id == tweet.pk
    assert entry.subject_user_id == author.pk and "something awful" in entry.target_repr
    assert entry.reason == services.API_REASON and entry.details["via"] == "api"
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED and report.resolved_by_id == moderator.pk


def test_moderators_api_end_of_a_room_is_logged_and_settles_its_reports(moderator, auth_client):
    host, reporter = UserFactory(), UserFactory()
    room = make_room(host)
    report, _ = services.report_create(reporter=reporter, target_type="room", target=room.pk)

    response = auth_client(moderator).post(f"/api/v1/rooms/{room.pk}/end")

    assert response.status_code == 200 and response.json()["state"] == "ended"
    assert Room.objects.get(pk=room.pk).state == RoomState.ENDED
    entry = ModerationAction.objects.get()
    assert (entry.action, entry.moderator_id, entry.target_object_id) == (ActionType.END_ROOM, moderator.pk, room.pk)
    assert entry.subject_user_id == host.pk and entry.details["via"] == "api"
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED


def test_a_non_staff_account_with_the_permissions_is_refused(auth_client):
    holder = UserFactory()
    holder.user_permissions.add(
        Permission.objects.get(codename="delete_tweet", content_type__app_label="tweets"),
        Permission.objects.get(codename="change_room", content_type__app_label="rooms"),
    )
    tweet, room = make_tweet(UserFactory()), make_room(UserFactory())
    client = auth_client(holder)
    assert client.delete(f"/api/v1/tweets/{tweet.pk}").status_code == 403
    assert client.post(f"/api/v1/rooms/{room.pk}/end").status_code == 403
    assert Tweet.objects.filter(pk=tweet.pk).exists()
    assert Room.objects.get(pk=room.pk).state == RoomState.LIVE
    assert not ModerationAction.objects.exists()


def test_own_tweet_and_own_room_are_not_moderation(moderator, auth_client):
    tweet, room = make_tweet(moderator), make_room(moderator)
    client = auth_client(moderator)
    assert client.delete(f"/api/v1/tweets/{tweet.pk}").status_code == 204
    assert client.post(f"/api/v1/rooms/{room.pk}/end").status_code == 200
    assert not ModerationAction.objects.exists()


def test_the_admin_path_is_logged_as_admin(moderator):
    tweet = make_tweet(UserFactory())
    services.tweet_remove(tweet=tweet, moderator=moderator, reason="spam")
    assert ModerationAction.objects.get().details["via"] == "admin"
