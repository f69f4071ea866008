"""Tweets rendered as the API contract's dicts, without DRF's field machinery.

``tweets.serializers.TweetSerializer`` is the schema source of a tweet; rendering a tweet with
DRF's fields costs about ten times more than building the dict, and a timeline renders many
tweets (and the tweets they embed) per request. ``render_tweets(tweets, request)`` builds
exactly the dicts ``TweetSerializer`` gives (its ``to_representation`` calls ``render`` too,
and a test compares both with DRF's field-by-field ``generic_representation``) for tweets that
went through ``tweets.selectors.tweets_for_display``. It runs no query: a tweet without its
display data, or without its author loaded, raises ``MissingDisplayData``.

The values are read from the instance's ``__dict__`` (Django's descriptors for foreign key
ids are data descriptors: one Python call per ``reply_to_id``, ``quote_of_id``... read).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo

from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from accounts.serializers import absolute_media_url

from .models import Tweet, viewer_id_of

# What an embedded tweet renders: ``TWEET`` (the contract's tweet: ``retweet_of`` as a
# ``REFERENCED`` tweet, ``quote_of`` as an ``EMBEDDED`` one), ``REFERENCED`` (both references
# ``EMBEDDED``), ``EMBEDDED`` (its own references as ids: ``quote_of_id``, ``retweet_of_id``).
TWEET, REFERENCED, EMBEDDED = 0, 1, 2
_QUOTE_LEVEL = {TWEET: EMBEDDED, REFERENCED: EMBEDDED}
_RETWEET_LEVEL = {TWEET: REFERENCED, REFERENCED: EMBEDDED}

_AUTHOR_FIELD = Tweet._meta.get_field("author")
_COLUMNS = frozenset(field.attname for field in Tweet._meta.concrete_fields)
_DATETIME = serializers.DateTimeField()
_ISO_DATETIMES = api_settings.DATETIME_FORMAT is None or str(api_settings.DATETIME_FORMAT).lower() == ISO_8601


def _is_utc(zone: tzinfo) -> bool:
    return zone is UTC or getattr(zone, "key", None) == "UTC"


class MissingDisplayData(RuntimeError):
    """A tweet reached rendering without ``tweets_for_display`` (or without its author)."""


class RenderState:
    """What every tweet of one response shares, worked out once per response: the viewer, the
    request (for absolute avatar URLs), the time zone, and each author's rendered summary
    (authors repeat within a page)."""

    __slots__ = ("authors", "request", "timezone", "utc", "viewer_id")

    def __init__(self, request) -> None:
        self.request = request
        self.viewer_id = viewer_id_of(getattr(request, "user", None)) if request is not None else None
        self.timezone = timezone.get_current_timezone()
        # When the current time zone is UTC (and DRF's format ISO 8601), a value in UTC (the
        # database's timestamps are, with ``datetime.UTC``) renders as its ``isoformat`` with
        # ``Z``: converting it to the ``ZoneInfo`` first costs two thirds of the time.
        self.utc = (UTC, self.timezone) if _ISO_DATETIMES and _is_utc(self.timezone) else ()
        self.authors: dict[int, dict] = {}

    def datetime(self, value: datetime | None) -> str | None:
        """DRF's ``DateTimeField`` output (ISO 8601 in the current time zone, ``Z`` for UTC),
        without its per-value settings lookups."""
        if value is None:
            return None
        if not _ISO_DATETIMES or value.utcoffset() is None:
            return _DATETIME.to_representation(value)
        text = value.astimezone(self.timezone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def author(self, tweet: Tweet, author_id: int) -> dict:
        """``UserSummarySerializer``'s shape of the tweet's author, built once per author (the
        first tweet of each author must have it loaded: no query is ever made here)."""
        if not _AUTHOR_FIELD.is_cached(tweet):
            raise MissingDisplayData("tweets must be rendered with their author loaded (select_related)")
        author = tweet.author
        payload = self.authors[author_id] = {
            "id": author.pk,
            "username": author.username,
            "display_name": author.display_name,
            "avatar_url": absolute_media_url(self.request, author.avatar),
        }
        return payload


def _values(tweet: Tweet) -> dict:
    values = tweet.__dict__
    if values.keys() >= _COLUMNS:
        return values
    # A deferred column: read it as the descriptor does (the one path that may query).
    return {**values, **{name: getattr(tweet, name) for name in _COLUMNS}}


def render(tweet: Tweet, state: RenderState, level: int = TWEET) -> dict:
    """One tweet as ``TweetSerializer`` (``level`` ``TWEET``), ``ReferencedTweetSerializer``
    (``REFERENCED``) or ``EmbeddedTweetSerializer`` (``EMBEDDED``) renders it."""
    values = _values(tweet)
    try:
        author_id = values["author_id"]
        created_at, edited_at = values["created_at"], values["edited_at"]
        utc = state.utc
        data = {
            "id": values["id"],
            "text": values["text"],
            "visibility": values["visibility"],
            "author": state.authors.get(author_id) or state.author(tweet, author_id),
            "created_at": created_at.isoformat()[:-6] + "Z" if created_at.tzinfo in utc else state.datetime(created_at),
            "edited_at": None
            if edited_at is None
            else edited_at.isoformat()[:-6] + "Z"
            if edited_at.tzinfo in utc
            else state.datetime(edited_at),
            "reply_to": values["reply_to_id"],
            "conversation_id": values["conversation_id"],
            "like_count": values["like_count"],
            "retweet_count": values["retweet_count"],
            "reply_count": values["reply_count"],
            "quote_count": values["quote_count"],
            "hashtags": values["display_hashtags"],
            "mentions": values["display_mentions"],
            "hidden": values["is_hidden"],
        }
        if state.viewer_id is not None:
            data["liked"] = bool(values["viewer_liked"])
            data["retweeted"] = bool(values["viewer_retweeted"])
            data["bookmarked"] = bool(values["viewer_bookmarked"])
        quote_of_id, retweet_of_id = values["quote_of_id"], values["retweet_of_id"]
        if level == EMBEDDED:
            data["quote_of_id"] = quote_of_id
            data["retweet_of_id"] = retweet_of_id
            return data
        quoted = values["display_quote_of"] if quote_of_id is not None else None
        original = values["display_retweet_of"] if retweet_of_id is not None else None
    except KeyError as missing:
        raise MissingDisplayData(
            f"tweet {tweet.pk} has no {missing.args[0]}: pass it through tweets.selectors.tweets_for_display first"
        ) from None
    data["quote_of"] = None if quoted is None else render(quoted, state, _QUOTE_LEVEL[level])
    data["retweet_of"] = None if original is None else render(original, state, _RETWEET_LEVEL[level])
    return data


def render_tweets(tweets: Iterable[Tweet], request) -> list[dict]:
    """``TweetSerializer(many=True)``'s list for display-ready tweets, built directly."""
    state = RenderState(request)
    return [render(tweet, state) for tweet in tweets]
