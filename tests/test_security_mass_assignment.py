"""Mass assignment: every POST and PATCH of the OpenAPI schema, sent with its legitimate body
plus a pile of fields naming another user (the victim), privileges, counters, ids and
timestamps. The request must either ignore them or be refused with a 400; afterwards:

- the victim's row and every row the victim owns are exactly as before;
- the requester has no new privileges, their id, join date, username and email are theirs,
  and no counter jumped (each moved by at most the one the action itself makes);
- what the action created or changed belongs to the requester and has server-set values;
- the response holds no password hash, no OTP code or secret, and no email but the requester's.

A last test checks that this table covers every writable operation in the schema.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import User
from accounts.tests.factories import UserFactory
from moderation import services as moderation_services
from notifications.models import Notification
from rooms import services as room_services
from social import services as social_services
from tests.mass_assignment_cases import CASES, reset_confirm_body
from tests.mass_assignment_world import (
    COUNTERS,
    PROTECTED_USER_FIELDS,
    Case,
    World,
    assert_response_leaks_nothing,
    evil_fields,
    user_state,
    victim_rows,
    with_ids,
)
from tweets import services as tweet_services


@pytest.fixture
def world(db, django_capture_on_commit_callbacks) -> World:
    me = UserFactory(username="alice")
    victim = UserFactory(username="victim")
    third = UserFactory(username="third")
    w = World(me=me, victim=victim, third=third)
    with django_capture_on_commit_callbacks(execute=True):
        social_services.follow_create(follower=victim, followee=third)
        social_services.follow_create(follower=third, followee=me)  # a notification for me
        social_services.follow_create(follower=third, followee=victim)  # and one for the victim
        victim_tweet = tweet_services.tweet_create(author=victim, text="the victim's tweet")
        tweet_services.like_create(user=victim, tweet_id=victim_tweet.pk)
        tweet_services.bookmark_create(user=victim, tweet_id=victim_tweet.pk)
        my_tweet = tweet_services.tweet_create(author=me, text="my tweet")
        third_tweet = tweet_services.tweet_create(author=third, text="third's tweet")
        victim_report, _ = moderation_services.report_create(
            reporter=victim, target_type="tweet", target=third_tweet.pk
        )
        victim_room = room_services.room_create(host=victim, title="Victim's room")
        my_room = room_services.room_create(host=me, title="My room")
        my_live = room_services.room_create(host=me, title="My live room")
        room_services.room_start(room=my_live, by_user=me)
        room_services.participant_join(room=my_live, user=third)
        room_services.participant_join(room=my_live, user=victim)
        third_live = room_services.room_create(host=third, title="Third's room")
        room_services.room_start(room=third_live, by_user=third)
        room_services.participant_join(room=third_live, user=victim)
        account_services.password_reset_request(email=victim.email)  # the victim has a live OTP code
    w.ids = {
        "victim_tweet": victim_tweet.pk,
        "my_tweet": my_tweet.pk,
        "third_tweet": third_tweet.pk,
        "victim_report": victim_report.pk,
        "victim_room": victim_room.pk,
        "my_room": my_room.pk,
        "my_live": my_live.pk,
        "third_live": third_live.pk,
        "my_notification": Notification.objects.get(recipient=me, type="follow").pk,
        "victim_notification": Notification.objects.get(recipient=victim, type="follow").pk,
        "victim_refresh": account_services.tokens_for(victim)["refresh"],
    }
    return w


@pytest.mark.parametrize("case", CASES)
def test_extra_fields_are_ignored_or_refused(case: Case, world: World, django_capture_on_commit_callbacks):
    w = world
    w.ids["my_refresh"] = account_services.tokens_for(w.me)["refresh"]
    with django_capture_on_commit_callbacks(execute=True):
        if case.setup:
            case.setup(w)
    body = with_ids(w, case.body)
    if case.path.endswith("reset/confirm"):
        body.update(reset_confirm_body(w))
    body = {**{k: v for k, v in evil_fields(w).items() if k not in case.legit}, **body}
    client = APIClient()
    if case.auth:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {account_services.tokens_for(w.me)['access']}")
    victim_before, me_before = victim_rows(w), user_state(w.me)

    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, case.method)(case.path.format(**w.ids), body, format="json")

    assert response.status_code in (200, 201, 202, 204, 400), (response.status_code, response.content)
    victim_after = victim_rows(w)
    if case.ends_room:
        kept = ("id", "room_id", "user_id", "role", "muted_by_host", "joined_at")
        for rows in (victim_before, victim_after):
            rows["participants"] = [{name: row[name] for name in kept} for row in rows["participants"]]
    assert victim_after == victim_before, "the victim's data changed"
    requester = User.objects.get(username="newcomer") if case.requester == "new" else w.me
    if case.requester == "me":
        me_after = user_state(w.me)
        for name in (*PROTECTED_USER_FIELDS, "is_suspended", "groups", "permissions"):
            assert me_after[name] == me_before[name], name
        for name in COUNTERS:
            assert abs(me_after[name] - me_before[name]) <= 1, (name, me_before[name], me_after[name])
    assert_response_leaks_nothing(response, requester)
    assert response.status_code != 400, f"refused outright: {response.content}"
    if case.check:
        case.check(w, response)


def _writable_operations() -> set[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    from tests.test_hostile_input import is_mastodon_only

    schema = SchemaGenerator().get_schema(request=None, public=True)
    # The Mastodon API's writes take named parameters, not our model serializers' bodies (its
    # profile update goes through ProfileUpdateSerializer, covered here by PATCH /users/me); their
    # bodies are walked by mastodon_api/tests/test_schema_walk.py.
    return {
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "patch", "put") and not is_mastodon_only(operation)
    }


def _schema_path(path: str) -> str:
    """``/api/v1/rooms/{my_live}/speakers/third`` -> ``/api/v1/rooms/{id}/speakers/{username}``."""
    import re

    path = re.sub(r"/users/(?!me$)\w+/", "/users/{username}/", path)
    path = re.sub(r"/(speakers|mute)/\w+$", r"/\1/{username}", path)
    path = re.sub(r"/tweets/\{\w+\}", "/tweets/{tweet_id}", path)
    return re.sub(r"/(rooms|notifications)/\{\w+\}", r"/\1/{id}", path)


def test_every_writable_operation_is_covered():
    covered = {(case.values[0].method, _schema_path(case.values[0].path)) for case in CASES}
    assert _writable_operations() - covered == set()


def test_responses_with_my_private_profile_show_only_my_email(world: World, auth_client):
    """The one place an email appears: the requester's own private profile."""
    response = auth_client(world.me).get("/api/v1/users/me")
    assert response.json()["email"] == "alice@example.com"
    assert_response_leaks_nothing(response, world.me)
    public = auth_client(world.me).get("/api/v1/users/victim")
    assert "email" not in public.json()
    assert_response_leaks_nothing(public, world.me)
