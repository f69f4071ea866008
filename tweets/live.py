"""Live events about tweets for streaming sockets (the Mastodon streaming API), sent after commit
through ``twitterclone.effects.push_after_commit``: the same path as live notifications.

One message per group, not per reader: ``author.<id>`` (read by the home streams of the author
and of their followers, which join it when they open), ``statuses.public`` (public posts, not
retweets) and ``hashtag.<digest>`` per hashtag of a public post. A message carries only ids;
each socket renders the tweet for its own user through the one visibility rule, so blocks,
mutes, followers-only tweets and moderation apply to live events as to every read.
"""

from __future__ import annotations

import hashlib
from typing import Any

from twitterclone import effects

from .models import Tweet, TweetHashtag, Visibility

PUBLIC_GROUP = "statuses.public"
EVENT_TYPE = "status.event"  # handled by consumers as ``status_event``


def author_group_name(author_id: int) -> str:
    return f"author.{int(author_id)}"


def hashtag_group_name(tag: str) -> str:
    # Group names are limited to ASCII letters, digits, "-", "_" and "." (and 100 characters).
    return "hashtag." + hashlib.sha256(tag.lstrip("#").lower().encode()).hexdigest()[:32]


def _messages(*, tweet_id: int, author_id: int, public: bool, retweet: bool, tags: list[str], event: str):
    message: dict[str, Any] = {"type": EVENT_TYPE, "event": event, "tweet_id": tweet_id, "author_id": author_id}
    messages = [(author_group_name(author_id), {**message, "group": "author"})]
    if public and not retweet:
        messages.append((PUBLIC_GROUP, {**message, "group": "public"}))
        messages += [(hashtag_group_name(tag), {**message, "group": "hashtag", "tag": tag}) for tag in tags]
    return messages


def _messages_for_stored(tweet_id: int, event: str) -> list[tuple[str, dict[str, Any]]]:
    row = Tweet.objects.filter(pk=tweet_id).values_list("author_id", "visibility", "retweet_of_id").first()
    if row is None:
        return []
    author_id, visibility, retweet_of_id = row
    tags = list(TweetHashtag.objects.filter(tweet_id=tweet_id).values_list("hashtag__name", flat=True))
    return _messages(
        tweet_id=tweet_id,
        author_id=author_id,
        public=visibility == Visibility.PUBLIC,
        retweet=retweet_of_id is not None,
        tags=tags,
        event=event,
    )


def publish_created(tweet: Tweet, *, tags: list[str] | None = None) -> None:
    """Call inside the transaction that stores a tweet or retweet: ``update`` after commit.
    ``tags``: the hashtags just linked to it, when the caller has them (then the messages are
    built from the tweet in hand, without reading it back)."""
    if tags is None and tweet.retweet_of_id is None:
        effects.push_after_commit(lambda: _messages_for_stored(tweet.pk, "update"))
        return
    messages = _messages(
        tweet_id=tweet.pk,
        author_id=tweet.author_id,
        public=tweet.visibility == Visibility.PUBLIC,
        retweet=tweet.retweet_of_id is not None,
        tags=list(tags or ()),
        event="update",
    )
    effects.push_after_commit(messages)


def publish_edited(tweet: Tweet) -> None:
    """Call inside the transaction that edits a tweet: ``status.update`` after commit."""
    effects.push_after_commit(lambda: _messages_for_stored(tweet.pk, "status.update"))


def publish_deleted(tweet: Tweet) -> None:
    """Call inside the transaction that deletes a tweet, before the delete: ``delete`` after commit
    (the groups are worked out now, while the tweet and its hashtags still exist)."""
    effects.push_after_commit(_messages_for_stored(tweet.pk, "delete"))
