"""The cases of the mass-assignment test (``tests/test_security_mass_assignment.py``): each
writable operation with its legitimate body, its setup and what it must have created or changed."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts import services as account_services
from accounts.models import PasswordResetDevice, User
from accounts.tests.factories import PASSWORD
from accounts.tests.mail import mailed_reset_code
from moderation.models import Report
from notifications.models import Notification
from rooms import services as room_services
from rooms.models import Participant, Role, Room, RoomState
from social.models import Block, Follow, Mute
from tests.mass_assignment_world import NEW_PASSWORD, Case
from tweets.models import Bookmark, Like, Tweet

# --- per-endpoint checks of what was created or changed ---------------------------------------


def _recent(moment) -> bool:
    return moment is not None and abs((timezone.now() - moment).total_seconds()) < 300


def check_register(w, response):
    user = User.objects.get(username="newcomer")
    assert (user.email, user.is_staff, user.is_superuser, user.is_active, user.is_suspended) == (
        "newcomer@example.com",
        False,
        False,
        True,
        False,
    )
    assert user.pk != w.victim.pk and _recent(user.date_joined)
    assert (user.followers_count, user.following_count, user.tweets_count) == (0, 0, 0)
    assert not user.groups.exists() and not user.user_permissions.exists()
    assert response.json()["user"]["username"] == "newcomer"


def check_auth_result_is_mine(w, response):
    assert response.json()["user"]["id"] == w.me.pk


def check_refresh_is_mine(w, response):
    from rest_framework_simplejwt.tokens import AccessToken

    assert int(AccessToken(response.json()["access"])["user_id"]) == w.me.pk


def check_victim_refresh_still_works(w, response):
    assert account_services.token_refresh(refresh=w.ids["victim_refresh"])["access"]


def check_only_my_sessions_ended(w, response):
    check_victim_refresh_still_works(w, response)
    with pytest.raises(Exception, match="invalid, expired or revoked"):
        account_services.token_refresh(refresh=w.ids["my_refresh"])


def check_my_password_changed(w, response):
    me, victim = User.objects.get(pk=w.me.pk), User.objects.get(pk=w.victim.pk)
    assert me.check_password(NEW_PASSWORD) and victim.check_password(PASSWORD)


def setup_reset_code(w):
    account_services.password_reset_request(email=w.me.email)


def reset_confirm_body(w) -> dict:
    return {"email": w.me.email, "code": mailed_reset_code(w.me.email)}


def check_reset_code_for_me_only(w, response):
    assert PasswordResetDevice.objects.get(user=w.me).token_hash != ""


def check_new_tweet(w, response):
    tweet = Tweet.objects.get(pk=response.json()["id"])
    assert tweet.author_id == w.me.pk and tweet.pk != w.ids["victim_tweet"]
    assert (tweet.like_count, tweet.retweet_count, tweet.reply_count, tweet.quote_count) == (0, 0, 0, 0)
    assert tweet.retweet_of_id is None and tweet.conversation_id == tweet.pk and not tweet.is_hidden
    assert _recent(tweet.created_at) and tweet.edited_at is None


def check_my_tweet_edited(w, response):
    tweet = Tweet.objects.get(pk=w.ids["my_tweet"])
    assert (tweet.text, tweet.author_id, tweet.like_count, tweet.retweet_of_id) == ("edited text", w.me.pk, 0, None)
    assert _recent(tweet.created_at) and tweet.conversation_id == tweet.pk and not tweet.is_hidden


def _third_tweet_state(w):
    tweet = Tweet.objects.get(pk=w.ids["third_tweet"])
    return tweet, tweet.like_count, tweet.retweet_count


def check_liked(w, response):
    tweet, likes, _ = _third_tweet_state(w)
    assert likes == 1 and list(Like.objects.filter(tweet=tweet).values_list("user_id", flat=True)) == [w.me.pk]


def check_retweeted(w, response):
    tweet, _, retweets = _third_tweet_state(w)
    retweet = Tweet.objects.get(retweet_of=tweet)
    assert retweets == 1 and retweet.author_id == w.me.pk and retweet.like_count == 0


def check_bookmarked(w, response):
    assert list(Bookmark.objects.filter(tweet_id=w.ids["third_tweet"]).values_list("user_id", flat=True)) == [w.me.pk]


def _relation_check(model, actor: str, target: str):
    def check(w, response):
        assert list(model.objects.filter(**{target: w.third}).order_by("pk").values_list(f"{actor}_id", flat=True)) == (
            [w.victim.pk, w.me.pk] if model is Follow else [w.me.pk]
        )
        third = User.objects.get(pk=w.third.pk)
        assert third.followers_count == Follow.objects.filter(followee=third).count()

    return check


def check_profile(w, response):
    me = User.objects.get(pk=w.me.pk)
    assert (me.display_name, me.username, me.email) == ("New Name", "alice", "alice@example.com")


def check_my_notification_read(w, response):
    assert Notification.objects.get(pk=w.ids["my_notification"]).read is True


def check_report(w, response):
    report = Report.objects.get(pk=response.json()["id"])
    assert (report.reporter_id, report.status, report.resolved_at, report.resolved_by_id) == (
        w.me.pk,
        "open",
        None,
        None,
    )
    assert (report.target_type, report.target_object_id, report.action_taken) == ("tweet", w.ids["third_tweet"], "")
    assert report.pk != w.ids["victim_report"] and _recent(report.created_at)


def check_new_room(w, response):
    room = Room.objects.get(pk=response.json()["id"])
    assert (room.host_id, room.state, room.started_at, room.ended_at) == (w.me.pk, RoomState.SCHEDULED, None, None)
    assert room.pk != w.ids["victim_room"] and _recent(room.created_at)
    assert not room.participants.exists()


def check_my_room_edited(w, response):
    room = Room.objects.get(pk=w.ids["my_room"])
    assert (room.title, room.host_id, room.state, room.started_at) == ("Renamed", w.me.pk, RoomState.SCHEDULED, None)


def check_my_room_live(w, response):
    room = Room.objects.get(pk=w.ids["my_room"])
    assert (room.host_id, room.state, room.ended_at) == (w.me.pk, RoomState.LIVE, None) and _recent(room.started_at)
    host = Participant.objects.get(room=room, user=w.me, left_at=None)
    assert host.role == Role.HOST


def check_my_live_room_ended(w, response):
    room = Room.objects.get(pk=w.ids["my_live"])
    assert (room.host_id, room.state) == (w.me.pk, RoomState.ENDED) and _recent(room.ended_at)


def _me_in_third_room(w) -> Participant:
    return Participant.objects.get(room_id=w.ids["third_live"], user=w.me, left_at=None)


def check_joined_as_listener(w, response):
    me = _me_in_third_room(w)
    assert (me.role, me.hand_raised, me.muted_by_host) == (Role.LISTENER, False, False)


def setup_join_third_room(w):
    room_services.participant_join(room=Room.objects.get(pk=w.ids["third_live"]), user=w.me)


def setup_speak_in_third_room(w):
    room = Room.objects.get(pk=w.ids["third_live"])
    room_services.participant_join(room=room, user=w.me)
    room_services.speaker_add(room=room, by_user=w.third, target_user=w.me)


def check_left(w, response):
    assert not Participant.objects.filter(room_id=w.ids["third_live"], user=w.me, left_at=None).exists()


def check_hand(raised: bool):
    def check(w, response):
        me = _me_in_third_room(w)
        assert (me.role, me.hand_raised, me.muted_by_host) == (Role.LISTENER, raised, False)

    return check


def check_self_mute(muted: bool):
    def check(w, response):
        me = _me_in_third_room(w)
        assert (me.role, me.muted, me.muted_by_host) == (Role.SPEAKER, muted, False)

    return check


def check_third_promoted(w, response):
    third = Participant.objects.get(room_id=w.ids["my_live"], user=w.third, left_at=None)
    assert (third.role, third.muted_by_host) == (Role.SPEAKER, False)


def setup_third_speaks_in_my_room(w):
    room_services.speaker_add(room=Room.objects.get(pk=w.ids["my_live"]), by_user=w.me, target_user=w.third)


def check_third_muted_by_me(w, response):
    third = Participant.objects.get(room_id=w.ids["my_live"], user=w.third, left_at=None)
    assert (third.role, third.muted, third.muted_by_host) == (Role.SPEAKER, True, True)


CASES = [
    pytest.param(
        Case(
            "post",
            "/api/v1/auth/register",
            {"username": "newcomer", "email": "newcomer@example.com", "password": NEW_PASSWORD},
            frozenset({"username", "email", "password"}),
            auth=False,
            check=check_register,
            requester="new",
        ),
        id="POST auth/register",
    ),
    pytest.param(
        Case(
            "post",
            "/api/v1/auth/login",
            {"login": "alice", "password": PASSWORD},
            frozenset({"password"}),
            auth=False,
            check=check_auth_result_is_mine,
        ),
        id="POST auth/login",
    ),
    pytest.param(
        Case("post", "/api/v1/auth/token/refresh", {"refresh": "@my_refresh"}, auth=False, check=check_refresh_is_mine),
        id="POST auth/token/refresh",
    ),
    pytest.param(
        Case("post", "/api/v1/auth/logout", {"refresh": "@my_refresh"}, check=check_victim_refresh_still_works),
        id="POST auth/logout",
    ),
    pytest.param(
        Case("post", "/api/v1/auth/logout_all", {}, check=check_only_my_sessions_ended),
        id="POST auth/logout_all",
    ),
    pytest.param(
        Case(
            "post",
            "/api/v1/auth/password/change",
            {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
            check=check_my_password_changed,
        ),
        id="POST auth/password/change",
    ),
    pytest.param(
        Case(
            "post",
            "/api/v1/auth/password/reset",
            {"email": "alice@example.com"},
            frozenset({"email"}),
            auth=False,
            check=check_reset_code_for_me_only,
        ),
        id="POST auth/password/reset",
    ),
    pytest.param(
        Case(
            "post",
            "/api/v1/auth/password/reset/confirm",
            {"new_password": NEW_PASSWORD},
            frozenset({"email"}),
            auth=False,
            setup=setup_reset_code,
            check=check_my_password_changed,
        ),
        id="POST auth/password/reset/confirm",
    ),
    pytest.param(
        Case("patch", "/api/v1/users/me", {"display_name": "New Name"}, check=check_profile), id="PATCH users/me"
    ),
    pytest.param(
        Case("post", "/api/v1/users/third/follow", check=_relation_check(Follow, "follower", "followee")),
        id="POST users/{username}/follow",
    ),
    pytest.param(
        Case("post", "/api/v1/users/third/block", check=_relation_check(Block, "blocker", "blocked")),
        id="POST users/{username}/block",
    ),
    pytest.param(
        Case("post", "/api/v1/users/third/mute", check=_relation_check(Mute, "muter", "muted")),
        id="POST users/{username}/mute",
    ),
    pytest.param(
        Case("post", "/api/v1/tweets", {"text": "brand new", "visibility": "public"}, check=check_new_tweet),
        id="POST tweets",
    ),
    pytest.param(
        Case("patch", "/api/v1/tweets/{my_tweet}", {"text": "edited text"}, check=check_my_tweet_edited),
        id="PATCH tweets/{id}",
    ),
    pytest.param(Case("post", "/api/v1/tweets/{third_tweet}/like", check=check_liked), id="POST tweets/{id}/like"),
    pytest.param(
        Case("post", "/api/v1/tweets/{third_tweet}/retweet", check=check_retweeted), id="POST tweets/{id}/retweet"
    ),
    pytest.param(
        Case("post", "/api/v1/tweets/{third_tweet}/bookmark", check=check_bookmarked), id="POST tweets/{id}/bookmark"
    ),
    pytest.param(
        Case("post", "/api/v1/notifications/{my_notification}/read", check=check_my_notification_read),
        id="POST notifications/{id}/read",
    ),
    pytest.param(
        Case("post", "/api/v1/notifications/read_all", check=check_my_notification_read),
        id="POST notifications/read_all",
    ),
    pytest.param(
        Case(
            "post",
            "/api/v1/reports",
            {"tweet": "@third_tweet", "category": "spam", "comment": "spam"},
            frozenset({"tweet", "user", "room"}),  # the three ways to name a target
            check=check_report,
        ),
        id="POST reports",
    ),
    pytest.param(Case("post", "/api/v1/rooms", {"title": "New room"}, check=check_new_room), id="POST rooms"),
    pytest.param(
        Case("patch", "/api/v1/rooms/{my_room}", {"title": "Renamed"}, check=check_my_room_edited),
        id="PATCH rooms/{id}",
    ),
    pytest.param(Case("post", "/api/v1/rooms/{my_room}/start", check=check_my_room_live), id="POST rooms/{id}/start"),
    pytest.param(
        Case("post", "/api/v1/rooms/{my_live}/end", check=check_my_live_room_ended, ends_room=True),
        id="POST rooms/{id}/end",
    ),
    pytest.param(
        Case("post", "/api/v1/rooms/{third_live}/join", check=check_joined_as_listener), id="POST rooms/{id}/join"
    ),
    pytest.param(
        Case("post", "/api/v1/rooms/{third_live}/leave", setup=setup_join_third_room, check=check_left),
        id="POST rooms/{id}/leave",
    ),
    pytest.param(
        Case("post", "/api/v1/rooms/{third_live}/raise_hand", setup=setup_join_third_room, check=check_hand(True)),
        id="POST rooms/{id}/raise_hand",
    ),
    pytest.param(
        Case("post", "/api/v1/rooms/{third_live}/lower_hand", setup=setup_join_third_room, check=check_hand(False)),
        id="POST rooms/{id}/lower_hand",
    ),
    pytest.param(
        Case("post", "/api/v1/rooms/{third_live}/mute", setup=setup_speak_in_third_room, check=check_self_mute(True)),
        id="POST rooms/{id}/mute",
    ),
    pytest.param(
        Case(
            "post", "/api/v1/rooms/{third_live}/unmute", setup=setup_speak_in_third_room, check=check_self_mute(False)
        ),
        id="POST rooms/{id}/unmute",
    ),
    pytest.param(
        Case(
            "post",
            "/api/v1/rooms/{my_live}/speakers/third",
            {"role": "speaker"},
            frozenset({"role"}),
            check=check_third_promoted,
        ),
        id="POST rooms/{id}/speakers/{username}",
    ),
    pytest.param(
        Case(
            "post",
            "/api/v1/rooms/{my_live}/mute/third",
            setup=setup_third_speaks_in_my_room,
            check=check_third_muted_by_me,
        ),
        id="POST rooms/{id}/mute/{username}",
    ),
]
