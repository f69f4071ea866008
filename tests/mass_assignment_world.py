"""The world of the mass-assignment test (``tests/test_security_mass_assignment.py``): a
requester, a victim and their rows, the hostile fields sent with every request, and the checks
that nothing leaked or changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from accounts.models import PasswordResetDevice, User
from accounts.tests.mail import mailed_reset_codes
from moderation.models import Report
from notifications.models import Notification
from rooms.models import Participant, Role, Room, RoomState
from social.models import Block, Follow, Mute
from tweets.models import Bookmark, Like, Tweet, TweetEdit

NEW_PASSWORD = "another-long-passphrase-42"
OLD_DATE = "2001-01-01T00:00:00Z"
BIG = 1000


@dataclass
class World:
    me: User
    victim: User
    third: User
    ids: dict[str, Any] = field(default_factory=dict)


def evil_fields(w: World) -> dict[str, Any]:
    """Fields no writable endpoint accepts: authorship and ownership (pointing at the victim),
    privileges, ids (the victim's objects), counters, server-set states and timestamps."""
    v = w.victim.pk
    victim_tweet = w.ids["victim_tweet"]
    return {
        "id": victim_tweet,
        "pk": victim_tweet,
        "tweet": victim_tweet,
        "tweet_id": victim_tweet,
        "room": w.ids["victim_room"],
        "room_id": w.ids["victim_room"],
        **dict.fromkeys(("author", "author_id", "user", "user_id", "host", "host_id", "owner"), v),
        **dict.fromkeys(("reporter", "reporter_id", "recipient", "recipient_id", "actor", "actor_id"), v),
        **dict.fromkeys(("follower", "follower_id", "followee", "blocker", "muter", "resolved_by"), v),
        "username": "stolen_name",
        "email": "stolen@example.com",
        "password": "md5$x$0123456789abcdef",
        "is_staff": True,
        "is_superuser": True,
        "is_active": False,
        "is_suspended": True,
        "suspension_reason": "x",
        "groups": [1],
        "user_permissions": [1],
        **dict.fromkeys(("followers_count", "following_count", "tweets_count"), BIG),
        **dict.fromkeys(("like_count", "retweet_count", "reply_count", "quote_count"), BIG),
        **dict.fromkeys(("listener_count", "speaker_count"), BIG),
        **dict.fromkeys(("created_at", "date_joined", "last_login", "edited_at"), OLD_DATE),
        **dict.fromkeys(("started_at", "ended_at", "resolved_at", "joined_at", "left_at"), OLD_DATE),
        "conversation_id": victim_tweet,
        "retweet_of": victim_tweet,
        "hidden": True,
        "is_hidden": True,
        "state": RoomState.ENDED,
        "status": "resolved",
        "action_taken": "suspend",
        "target_snapshot": "forged",
        "role": Role.HOST,
        "muted_by_host": True,
        "hand_raised": True,
        "muted": False,
        "participants": [{"user": v, "role": Role.HOST}],
        "read": False,
        "recipient_username": w.victim.username,
    }


def victim_rows(w: World) -> dict[str, list[dict]]:
    """The victim's user row and every row the victim owns or that points at the victim's objects."""
    v = w.victim
    victim_tweets = Tweet.objects.filter(author=v)
    return {
        "user": list(User.objects.filter(pk=v.pk).values()),
        "tweets": list(victim_tweets.order_by("pk").values()),
        "edits": list(TweetEdit.objects.filter(tweet__in=victim_tweets).order_by("pk").values()),
        "likes": list(Like.objects.filter(user=v).order_by("pk").values()),
        "likes_of": list(Like.objects.filter(tweet__in=victim_tweets).order_by("pk").values()),
        "bookmarks": list(Bookmark.objects.filter(user=v).order_by("pk").values()),
        "follows": list(Follow.objects.filter(follower=v).order_by("pk").values()),
        "followers": list(Follow.objects.filter(followee=v).order_by("pk").values()),
        "blocks": list(Block.objects.filter(blocker=v).order_by("pk").values()),
        "mutes": list(Mute.objects.filter(muter=v).order_by("pk").values()),
        "rooms": list(Room.objects.filter(host=v).order_by("pk").values()),
        "participants": list(Participant.objects.filter(user=v).order_by("pk").values()),
        "notifications": list(Notification.objects.filter(recipient=v).order_by("pk").values()),
        "reports": list(Report.objects.filter(reporter=v).order_by("pk").values()),
        "reset_device": list(PasswordResetDevice.objects.filter(user=v).values()),
    }


PROTECTED_USER_FIELDS = ("id", "username", "email", "date_joined", "is_staff", "is_superuser", "is_active")
COUNTERS = ("followers_count", "following_count", "tweets_count")


def user_state(user: User) -> dict[str, Any]:
    row = User.objects.filter(pk=user.pk).values(*PROTECTED_USER_FIELDS, *COUNTERS, "is_suspended").get()
    row["groups"] = list(User.objects.get(pk=user.pk).groups.values_list("pk", flat=True))
    row["permissions"] = list(User.objects.get(pk=user.pk).user_permissions.values_list("pk", flat=True))
    return row


SECRET_KEYS = {"password", "password_hash", "token", "otp", "otp_secret", "code", "key", "secret", "email_code"}
HASH_MARKERS = ("pbkdf2", "md5$", "argon2", "bcrypt", "scrypt")


def _walk(value: Any):
    if isinstance(value, dict):
        for key, item in value.items():
            yield "key", key
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)
    else:
        yield "value", value


def assert_response_leaks_nothing(response, requester: User | None) -> None:
    """No password hash, no OTP code or secret, no email of anyone but the requester."""
    raw = response.content.decode()
    for marker in HASH_MARKERS:
        assert marker not in raw.lower(), f"{marker} in {raw}"
    others = User.objects.exclude(pk=requester.pk) if requester else User.objects.all()
    for email in others.values_list("email", flat=True):
        assert email.lower() not in raw.lower(), f"another user's email {email} in {raw}"
    if not raw:
        return
    body = json.loads(raw)
    codes = set(mailed_reset_codes())
    is_error = isinstance(body, dict) and set(body) == {"error"}
    for kind, item in _walk(body):
        if kind == "key" and not is_error:  # an error's ``fields`` may name the input field
            assert item.lower() not in SECRET_KEYS, f"secret-looking key {item!r} in {raw}"
        if kind == "value":
            assert str(item) not in codes, f"an OTP code in {raw}"


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # formatted with World.ids
    body: dict = field(default_factory=dict)  # the legitimate part; formatted values are looked up in ids
    legit: frozenset[str] = frozenset()  # evil_fields names that are real input here (left out)
    auth: bool = True
    setup: Callable[[World], None] | None = None
    check: Callable[[World, Any], None] | None = None
    ends_room: bool = False  # everybody in it leaves: the victim's participant rows get a left_at
    requester: str = "me"  # the user whose data may legitimately change ("new" for register)


def with_ids(w: World, body: dict) -> dict:
    return {
        key: (w.ids[value[1:]] if isinstance(value, str) and value.startswith("@") else value)
        for key, value in body.items()
    }
