"""Object-level authorization (OWASP API1): every endpoint that takes an id or a username in its
path, called by an intruder with a valid token on an object that is not theirs (or that they
may not see), is refused with 403 or 404, and the database is exactly as before.

Where an endpoint only ever acts on the caller's own rows (unlike, unbookmark, unfollow, leave
a room...), the intruder's call may succeed, but it must not touch anybody else's rows: those
cases expect the success status and the same unchanged database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from accounts.models import PasswordResetDevice, User
from accounts.tests.factories import UserFactory
from moderation.models import Report
from notifications.models import Notification
from rooms import services as room_services
from rooms.models import Participant, Role, Room, RoomState
from social import services as social_services
from social.models import Block, Follow, Mute
from tweets import services as tweet_services
from tweets.models import Bookmark, Like, Mention, Tweet, TweetEdit, TweetHashtag

pytestmark = pytest.mark.django_db(transaction=False)

SNAPSHOT_MODELS = [
    User,
    Tweet,
    TweetEdit,
    TweetHashtag,
    Mention,
    Like,
    Bookmark,
    Follow,
    Block,
    Mute,
    Room,
    Participant,
    Notification,
    Report,
    PasswordResetDevice,
]


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table an endpoint could change, as plain dicts, ordered by id."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS}


@dataclass
class World:
    """The owner's objects, and the intruder who goes after them."""

    owner: User
    intruder: User
    friend: User  # follows the owner, likes and retweets their tweets, speaks in their room
    blocker: User  # blocks the intruder
    ids: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(db, django_capture_on_commit_callbacks) -> World:
    owner = UserFactory(username="owner")
    intruder = UserFactory(username="intruder")
    friend = UserFactory(username="friend")
    blocker = UserFactory(username="blocker")
    w = World(owner=owner, intruder=intruder, friend=friend, blocker=blocker)
    with django_capture_on_commit_callbacks(execute=True):
        social_services.follow_create(follower=friend, followee=owner)
        social_services.block_create(blocker=blocker, blocked=intruder)
        public = tweet_services.tweet_create(author=owner, text="public #topic by @friend")
        private = tweet_services.tweet_create(author=owner, text="for followers only", visibility="followers")
        tweet_services.like_create(user=owner, tweet_id=public.pk)
        tweet_services.like_create(user=friend, tweet_id=public.pk)
        tweet_services.like_create(user=friend, tweet_id=private.pk)
        tweet_services.bookmark_create(user=owner, tweet_id=public.pk)
        tweet_services.bookmark_create(user=friend, tweet_id=private.pk)
        tweet_services.retweet_create(user=friend, tweet_id=public.pk)
        tweet_services.tweet_create(author=friend, text="a reply", reply_to_id=private.pk)
        blocker_tweet = tweet_services.tweet_create(author=blocker, text="blocker's tweet")
        tweet_services.like_create(user=blocker, tweet_id=blocker_tweet.pk)
        reported = tweet_services.tweet_create(author=friend, text="reported tweet")
        from moderation import services as moderation_services

        report, _ = moderation_services.report_create(reporter=owner, target_type="tweet", target=reported.pk)
        scheduled = room_services.room_create(host=owner, title="Later")
        live = room_services.room_create(host=owner, title="Now")
        room_services.room_start(room=live, by_user=owner)
        room_services.participant_join(room=live, user=friend)
        room_services.participant_join(room=live, user=intruder)
        room_services.speaker_add(room=live, by_user=owner, target_user=friend)
        room_services.participant_mute(room=live, by_user=owner, target_user=friend)
        blocker_room = room_services.room_create(host=blocker, title="Blocker's room")
        room_services.room_start(room=blocker_room, by_user=blocker)
    note = Notification.objects.get(recipient=owner, actor=friend, type="follow")
    w.ids = {
        "public": public.pk,
        "private": private.pk,
        "blocker_tweet": blocker_tweet.pk,
        "report": report.pk,
        "notification": note.pk,
        "scheduled": scheduled.pk,
        "live": live.pk,
        "blocker_room": blocker_room.pk,
    }
    return w


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # formatted with World.ids
    expected: tuple[int, ...] = (403, 404)
    body: dict | None = None


DENIED = (403, 404)
HIDDEN = (404,)

CASES = [
    # tweets/{id}: another user's tweet, or one the intruder may not see
    pytest.param(Case("get", "/api/v1/tweets/{private}", HIDDEN), id="GET tweets/{id} followers-only"),
    pytest.param(Case("get", "/api/v1/tweets/{blocker_tweet}", HIDDEN), id="GET tweets/{id} of a blocker"),
    pytest.param(Case("patch", "/api/v1/tweets/{public}", DENIED, {"text": "hijacked"}), id="PATCH tweets/{id}"),
    pytest.param(
        Case("patch", "/api/v1/tweets/{private}", HIDDEN, {"text": "hijacked"}), id="PATCH tweets/{id} invisible"
    ),
    pytest.param(Case("delete", "/api/v1/tweets/{public}", DENIED), id="DELETE tweets/{id}"),
    pytest.param(Case("delete", "/api/v1/tweets/{private}", HIDDEN), id="DELETE tweets/{id} invisible"),
    pytest.param(Case("get", "/api/v1/tweets/{private}/replies", HIDDEN), id="GET tweets/{id}/replies"),
    pytest.param(Case("get", "/api/v1/tweets/{private}/context", HIDDEN), id="GET tweets/{id}/context"),
    pytest.param(Case("get", "/api/v1/tweets/{private}/liked_by", HIDDEN), id="GET tweets/{id}/liked_by"),
    pytest.param(Case("get", "/api/v1/tweets/{private}/retweeted_by", HIDDEN), id="GET tweets/{id}/retweeted_by"),
    pytest.param(Case("post", "/api/v1/tweets/{private}/like", HIDDEN), id="POST tweets/{id}/like invisible"),
    pytest.param(Case("post", "/api/v1/tweets/{private}/retweet", HIDDEN), id="POST tweets/{id}/retweet invisible"),
    pytest.param(Case("post", "/api/v1/tweets/{private}/bookmark", HIDDEN), id="POST tweets/{id}/bookmark invisible"),
    pytest.param(Case("post", "/api/v1/tweets/{blocker_tweet}/like", DENIED), id="POST tweets/{id}/like blocker"),
    pytest.param(Case("delete", "/api/v1/tweets/{private}/like", HIDDEN), id="DELETE tweets/{id}/like invisible"),
    pytest.param(
        Case("delete", "/api/v1/tweets/{private}/bookmark", HIDDEN), id="DELETE tweets/{id}/bookmark invisible"
    ),
    pytest.param(Case("delete", "/api/v1/tweets/{private}/retweet", HIDDEN), id="DELETE tweets/{id}/retweet invisible"),
    # Undoing on a visible tweet only ever touches the caller's own like/bookmark/retweet.
    pytest.param(Case("delete", "/api/v1/tweets/{public}/like", (200,)), id="DELETE tweets/{id}/like others' likes"),
    pytest.param(
        Case("delete", "/api/v1/tweets/{public}/bookmark", (200,)), id="DELETE tweets/{id}/bookmark others' bookmarks"
    ),
    pytest.param(
        Case("delete", "/api/v1/tweets/{public}/retweet", (200,)), id="DELETE tweets/{id}/retweet others' retweets"
    ),
    pytest.param(
        Case("delete", "/api/v1/tweets/{blocker_tweet}/like", HIDDEN), id="DELETE tweets/{id}/like of a blocker"
    ),
    # notifications and reports: only ever the caller's own
    pytest.param(Case("post", "/api/v1/notifications/{notification}/read", HIDDEN), id="POST notifications/{id}/read"),
    pytest.param(Case("get", "/api/v1/reports/{report}", HIDDEN), id="GET reports/{id}"),
    # rooms/{id}: host-only actions by a non-host, and rooms of a host who blocks the intruder
    pytest.param(Case("get", "/api/v1/rooms/{blocker_room}", HIDDEN), id="GET rooms/{id} of a blocker"),
    pytest.param(Case("patch", "/api/v1/rooms/{scheduled}", DENIED, {"title": "mine"}), id="PATCH rooms/{id}"),
    pytest.param(
        Case("patch", "/api/v1/rooms/{blocker_room}", HIDDEN, {"title": "mine"}), id="PATCH rooms/{id} of a blocker"
    ),
    pytest.param(Case("delete", "/api/v1/rooms/{scheduled}", DENIED), id="DELETE rooms/{id}"),
    pytest.param(Case("post", "/api/v1/rooms/{scheduled}/start", DENIED), id="POST rooms/{id}/start"),
    pytest.param(Case("post", "/api/v1/rooms/{live}/end", DENIED), id="POST rooms/{id}/end"),
    pytest.param(Case("post", "/api/v1/rooms/{blocker_room}/end", HIDDEN), id="POST rooms/{id}/end of a blocker"),
    pytest.param(Case("post", "/api/v1/rooms/{blocker_room}/join", HIDDEN), id="POST rooms/{id}/join of a blocker"),
    pytest.param(Case("post", "/api/v1/rooms/{blocker_room}/leave", HIDDEN), id="POST rooms/{id}/leave of a blocker"),
    pytest.param(
        Case("post", "/api/v1/rooms/{blocker_room}/raise_hand", HIDDEN), id="POST rooms/{id}/raise_hand of a blocker"
    ),
    pytest.param(
        Case("post", "/api/v1/rooms/{blocker_room}/lower_hand", HIDDEN), id="POST rooms/{id}/lower_hand of a blocker"
    ),
    pytest.param(Case("post", "/api/v1/rooms/{blocker_room}/mute", HIDDEN), id="POST rooms/{id}/mute of a blocker"),
    pytest.param(Case("post", "/api/v1/rooms/{blocker_room}/unmute", HIDDEN), id="POST rooms/{id}/unmute of a blocker"),
    pytest.param(Case("post", "/api/v1/rooms/{live}/unmute", DENIED), id="POST rooms/{id}/unmute as a listener"),
    pytest.param(
        Case("post", "/api/v1/rooms/{live}/speakers/intruder", DENIED), id="POST rooms/{id}/speakers/{username} self"
    ),
    pytest.param(
        Case("post", "/api/v1/rooms/{live}/speakers/friend", DENIED, {"role": "cohost"}),
        id="POST rooms/{id}/speakers/{username} other",
    ),
    pytest.param(
        Case("delete", "/api/v1/rooms/{live}/speakers/friend", DENIED), id="DELETE rooms/{id}/speakers/{username}"
    ),
    pytest.param(
        Case("delete", "/api/v1/rooms/{live}/speakers/owner", DENIED), id="DELETE rooms/{id}/speakers/{username} host"
    ),
    pytest.param(Case("post", "/api/v1/rooms/{live}/mute/owner", DENIED), id="POST rooms/{id}/mute/{username}"),
    pytest.param(Case("delete", "/api/v1/rooms/{live}/mute/friend", DENIED), id="DELETE rooms/{id}/mute/{username}"),
    pytest.param(
        Case("post", "/api/v1/rooms/{blocker_room}/speakers/blocker", HIDDEN),
        id="POST rooms/{id}/speakers/{username} of a blocker",
    ),
    pytest.param(
        Case("post", "/api/v1/rooms/{blocker_room}/mute/blocker", HIDDEN),
        id="POST rooms/{id}/mute/{username} of a blocker",
    ),
    # users/{username}: a user who blocks the intruder is invisible to them
    pytest.param(Case("get", "/api/v1/users/blocker", HIDDEN), id="GET users/{username} blocker"),
    pytest.param(Case("get", "/api/v1/users/blocker/tweets", HIDDEN), id="GET users/{username}/tweets blocker"),
    pytest.param(Case("get", "/api/v1/users/blocker/likes", HIDDEN), id="GET users/{username}/likes blocker"),
    pytest.param(Case("get", "/api/v1/users/blocker/followers", HIDDEN), id="GET users/{username}/followers blocker"),
    pytest.param(Case("get", "/api/v1/users/blocker/following", HIDDEN), id="GET users/{username}/following blocker"),
    pytest.param(Case("post", "/api/v1/users/blocker/follow", DENIED), id="POST users/{username}/follow blocker"),
    # Undoing a relationship only ever removes the caller's own row (friend -> owner stays).
    pytest.param(Case("delete", "/api/v1/users/owner/follow", (204,)), id="DELETE users/{username}/follow others'"),
    pytest.param(Case("delete", "/api/v1/users/intruder/block", (204,)), id="DELETE users/{username}/block others'"),
    pytest.param(Case("delete", "/api/v1/users/owner/mute", (204,)), id="DELETE users/{username}/mute others'"),
]


@pytest.mark.parametrize("case", CASES)
def test_intruder_is_refused_and_nothing_changes(
    case: Case, world: World, auth_client, django_capture_on_commit_callbacks
):
    client = auth_client(world.intruder)
    path = case.path.format(**world.ids)
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, case.method)(path, case.body, format="json")
    assert response.status_code in case.expected, (path, response.status_code, response.content)
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}, response.content
    assert snapshot() == before, f"{case.method.upper()} {path} changed the database"


def test_setup_has_the_room_roles_the_cases_rely_on(world: World):
    """The room cases aim at a host-muted speaker (friend) from a listener (intruder)."""
    live = Room.objects.get(pk=world.ids["live"])
    assert live.state == RoomState.LIVE
    friend = Participant.objects.get(room=live, user=world.friend, left_at__isnull=True)
    assert (friend.role, friend.muted_by_host) == (Role.SPEAKER, True)
    assert Participant.objects.get(room=live, user=world.intruder, left_at__isnull=True).role == Role.LISTENER


def test_the_owner_can_do_what_the_intruder_cannot(world: World, auth_client):
    """The refusals above are about who asks: the same calls by the owner succeed (so the
    cases cannot pass because the endpoints are simply broken)."""
    owner = auth_client(world.owner)
    ids = world.ids
    assert owner.get(f"/api/v1/tweets/{ids['private']}").status_code == 200
    assert owner.patch(f"/api/v1/tweets/{ids['public']}", {"text": "edited"}, format="json").status_code == 200
    assert owner.post(f"/api/v1/notifications/{ids['notification']}/read").status_code == 204
    assert owner.get(f"/api/v1/reports/{ids['report']}").status_code == 200
    assert owner.patch(f"/api/v1/rooms/{ids['scheduled']}", {"title": "x"}, format="json").status_code == 200
    assert owner.delete(f"/api/v1/rooms/{ids['live']}/mute/friend").status_code == 200
    assert owner.post(f"/api/v1/rooms/{ids['live']}/speakers/intruder").status_code == 200
    assert owner.post(f"/api/v1/rooms/{ids['live']}/end").status_code == 200
    assert owner.delete(f"/api/v1/tweets/{ids['public']}").status_code == 204
    assert Notification.objects.get(pk=ids["notification"]).read is True


def test_logout_with_another_users_refresh_token_is_refused_and_it_keeps_working(world: World, auth_client):
    """The refresh token in the body is an object id too: the intruder cannot revoke the owner's."""
    from accounts.services import token_refresh, tokens_for

    owners_refresh = tokens_for(world.owner)["refresh"]
    before = snapshot()
    response = auth_client(world.intruder).post("/api/v1/auth/logout", {"refresh": owners_refresh}, format="json")
    assert response.status_code in (400, 403, 404), response.content
    assert snapshot() == before
    assert token_refresh(refresh=owners_refresh)["access"]
