"""Small builders for moderation tests: tweets and rooms written straight to the database, so
these tests depend only on the models (the API tests use the real endpoints)."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from moderation.roles import ensure_moderators_group
from rooms.models import Participant, Role, Room, RoomState
from tweets.models import Tweet


def make_tweet(author: User, text: str = "hello world", **fields) -> Tweet:
    tweet = Tweet.objects.create(author=author, text=text, **fields)
    if tweet.conversation_id is None:
        root = fields.get("reply_to")
        tweet.conversation_id = (root.conversation_id or root.pk) if root is not None else tweet.pk
        tweet.save(update_fields=["conversation_id"])
    User.objects.filter(pk=author.pk).update(tweets_count=author.tweets_count + 1)
    return tweet


def make_room(host: User, *, state: str = RoomState.LIVE, title: str = "A room") -> Room:
    room = Room.objects.create(
        host=host, title=title, state=state, started_at=timezone.now() if state != RoomState.SCHEDULED else None
    )
    if state == RoomState.LIVE:
        Participant.objects.create(room=room, user=host, role=Role.HOST)
    return room


def make_moderator(**fields) -> User:
    """A staff user in the moderators group, the way ``create_moderator`` makes one."""
    user = UserFactory(is_staff=True, **fields)
    user.groups.add(ensure_moderators_group())
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions
