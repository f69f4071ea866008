"""Factories for the rows notification tests need (follows, blocks, mutes, tweets, rooms)."""

from __future__ import annotations

from django.utils import timezone

from notifications.models import Notification
from notifications.services import dedup_key_for
from rooms.models import Room, RoomState
from social.models import Block, Follow, Mute
from tweets.models import Tweet


def follow(follower, followee) -> Follow:
    return Follow.objects.create(follower=follower, followee=followee)


def block(blocker, blocked) -> Block:
    return Block.objects.create(blocker=blocker, blocked=blocked)


def mute(muter, muted) -> Mute:
    return Mute.objects.create(muter=muter, muted=muted)


def tweet(author, text: str = "hello", **kwargs) -> Tweet:
    return Tweet.objects.create(author=author, text=text, **kwargs)


def live_room(host, title: str = "Live now") -> Room:
    return Room.objects.create(host=host, title=title, state=RoomState.LIVE, started_at=timezone.now())


def notification(recipient, actor, type: str = "follow", *, tweet=None, room=None, read: bool = False) -> Notification:
    """A stored notification, made directly (no exclusion rules, no push)."""
    return Notification.objects.create(
        recipient=recipient,
        actor=actor,
        type=type,
        tweet=tweet,
        room=room,
        read=read,
        dedup_key=dedup_key_for(
            type=type, actor_id=actor.pk, tweet_id=tweet.pk if tweet else None, room_id=room.pk if room else None
        ),
    )
