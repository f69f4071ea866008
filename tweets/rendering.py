"""Tweets rendered as the API contract's dicts, without DRF's field machinery.

``tweets.serializers.TweetSerializer`` is the schema source of a tweet; rendering a tweet with
DRF's fields costs about ten times more than building the dict, and a timeline renders many
tweets (and the tweets they embed) per request. One function builds a tweet's dict
(``_render``: the fields, their order, what each level embeds); it reads a tweet through a
*source*, which gives its column values (in ``tweets.visibility.TWEET_COLUMNS`` order), its
author's summary, hashtags, mentions, the viewer's state and the tweets it embeds:

- ``render_tweets(tweets, request)`` (and ``TweetSerializer.to_representation``, through
  ``render``): model instances that went through ``tweets.selectors.tweets_for_display``,
  read from their ``__dict__`` (Django's descriptors for foreign key ids are data descriptors:
  one Python call per ``reply_to_id``, ``quote_of_id``... read). A tweet without its display
  data, or without its author loaded, raises ``MissingDisplayData``.
- ``render_rows(display, request)``: the rows of a constant statement as they came
  (``tweets.display.rows_for_display``; the home timeline), no model instance at all.

Both give exactly the dicts ``TweetSerializer`` gives (tests compare them with DRF's
field-by-field ``generic_representation``), and run no query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from operator import itemgetter
from typing import TYPE_CHECKING

from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from accounts.models import User
from accounts.serializers import absolute_media_url

from .models import Tweet, viewer_id_of
from .visibility import AUTHOR_AT, AUTHOR_COLUMNS, STATE_AT, TWEET_COLUMNS

if TYPE_CHECKING:
    from .display import DisplayRows

# What an embedded tweet renders: ``TWEET`` (the contract's tweet: ``retweet_of`` as a
# ``REFERENCED`` tweet, ``quote_of`` as an ``EMBEDDED`` one), ``REFERENCED`` (both references
# ``EMBEDDED``), ``EMBEDDED`` (its own references as ids: ``quote_of_id``, ``retweet_of_id``).
TWEET, REFERENCED, EMBEDDED = 0, 1, 2
_QUOTE_LEVEL = {TWEET: EMBEDDED, REFERENCED: EMBEDDED}
_RETWEET_LEVEL = {TWEET: REFERENCED, REFERENCED: EMBEDDED}

_AUTHOR_FIELD = Tweet._meta.get_field("author")
_AVATAR_FIELD = User._meta.get_field("avatar")
(_ID, _AUTHOR_ID, _TEXT, _VISIBILITY, _REPLY_TO, _CONVERSATION, _QUOTE_OF, _RETWEET_OF, _CREATED_AT, _EDITED_AT) = (
    TWEET_COLUMNS.index(name)
    for name in (
        "id",
        "author_id",
        "text",
        "visibility",
        "reply_to_id",
        "conversation_id",
        "quote_of_id",
        "retweet_of_id",
        "created_at",
        "edited_at",
    )
)
_LIKES, _RETWEETS, _REPLIES, _QUOTES, _HIDDEN = (
    TWEET_COLUMNS.index(name) for name in ("like_count", "retweet_count", "reply_count", "quote_count", "is_hidden")
)
_AUTHOR_USERNAME, _AUTHOR_DISPLAY_NAME, _AUTHOR_AVATAR = (
    AUTHOR_AT + AUTHOR_COLUMNS.index(name) for name in ("username", "display_name", "avatar")
)
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
        return self._summary(author.pk, author.username, author.display_name, author.avatar)

    def author_of_row(self, row: Sequence) -> dict:
        """``author`` for a row of ``tweets.visibility``'s statements (its author's columns)."""
        name = row[_AUTHOR_AVATAR]
        # What ``user.avatar`` gives (an empty name is falsy either way: no URL, no file object).
        avatar = _AVATAR_FIELD.attr_class(None, _AVATAR_FIELD, name) if name else name
        return self._summary(row[_AUTHOR_ID], row[_AUTHOR_USERNAME], row[_AUTHOR_DISPLAY_NAME], avatar)

    def _summary(self, author_id: int, username: str, display_name: str, avatar) -> dict:
        payload = self.authors[author_id] = {
            "id": author_id,
            "username": username,
            "display_name": display_name,
            "avatar_url": absolute_media_url(self.request, avatar),
        }
        return payload


class _Instances:
    """The source for model instances (``tweets_for_display`` set their display data)."""

    @staticmethod
    def parts(tweet: Tweet, state: RenderState) -> tuple:
        values = tweet.__dict__
        read = _instance_parts if state.viewer_id is None else _instance_parts_with_state
        try:
            parts = read(values)
        except KeyError as missing:
            if missing.args[0] not in _COLUMN_NAMES:
                raise _missing(tweet.pk, missing) from None
            # A deferred column: read it as the descriptor does (the one path that may query).
            parts = read({**values, **{name: getattr(tweet, name) for name in TWEET_COLUMNS}})
        author_id = parts[_AUTHOR_ID]
        author = state.authors.get(author_id) or state.author(tweet, author_id)
        return parts, author, parts[_HASHTAGS], parts[_MENTIONS], parts[_VIEWER_STATE:]

    @staticmethod
    def references(tweet: Tweet, columns: Sequence) -> tuple[Tweet | None, Tweet | None]:
        values = tweet.__dict__
        try:
            quoted = values["display_quote_of"] if columns[_QUOTE_OF] is not None else None
            original = values["display_retweet_of"] if columns[_RETWEET_OF] is not None else None
        except KeyError as missing:
            raise _missing(tweet.pk, missing) from None
        return quoted, original


# What ``_Instances`` reads from a tweet's ``__dict__``: its columns, then its display data.
_COLUMN_NAMES = frozenset(TWEET_COLUMNS)
_HASHTAGS, _MENTIONS, _VIEWER_STATE = len(TWEET_COLUMNS), len(TWEET_COLUMNS) + 1, len(TWEET_COLUMNS) + 2
_instance_parts = itemgetter(*TWEET_COLUMNS, "display_hashtags", "display_mentions")
_instance_parts_with_state = itemgetter(
    *TWEET_COLUMNS, "display_hashtags", "display_mentions", "viewer_liked", "viewer_bookmarked", "viewer_retweeted"
)


def _missing(tweet_id: int, missing: KeyError) -> MissingDisplayData:
    return MissingDisplayData(
        f"tweet {tweet_id} has no {missing.args[0]}: pass it through tweets.selectors.tweets_for_display first"
    )


class _Rows:
    """The source for rows (``tweets.display.DisplayRows``): each row is its own column values,
    its author's and the viewer's state; the rows it embeds and the hydration are by id."""

    __slots__ = ("embedded", "hydrated")

    def __init__(self, display: DisplayRows) -> None:
        self.embedded = display.embedded
        self.hydrated = display.hydrated

    def parts(self, row: Sequence, state: RenderState) -> tuple:
        hashtags, mentions = self.hydrated[row[_ID]]
        author = state.authors.get(row[_AUTHOR_ID]) or state.author_of_row(row)
        return row, author, hashtags, mentions, row[STATE_AT:]

    def references(self, row: Sequence, columns: Sequence) -> tuple[Sequence | None, Sequence | None]:
        # An embedded tweet absent from ``embedded`` is one the viewer may not see (null).
        return self.embedded.get(row[_QUOTE_OF]), self.embedded.get(row[_RETWEET_OF])


_INSTANCES = _Instances()


def _render(item, source, state: RenderState, level: int) -> dict:
    """The one shape of a tweet: ``TweetSerializer`` (``level`` ``TWEET``),
    ``ReferencedTweetSerializer`` (``REFERENCED``) or ``EmbeddedTweetSerializer`` (``EMBEDDED``),
    for an ``item`` of ``source``."""
    columns, author, hashtags, mentions, viewer = source.parts(item, state)
    created_at, edited_at = columns[_CREATED_AT], columns[_EDITED_AT]
    utc = state.utc
    data = {
        "id": columns[_ID],
        "text": columns[_TEXT],
        "visibility": columns[_VISIBILITY],
        "author": author,
        "created_at": created_at.isoformat()[:-6] + "Z" if created_at.tzinfo in utc else state.datetime(created_at),
        "edited_at": None
        if edited_at is None
        else edited_at.isoformat()[:-6] + "Z"
        if edited_at.tzinfo in utc
        else state.datetime(edited_at),
        "reply_to": columns[_REPLY_TO],
        "conversation_id": columns[_CONVERSATION],
        "like_count": columns[_LIKES],
        "retweet_count": columns[_RETWEETS],
        "reply_count": columns[_REPLIES],
        "quote_count": columns[_QUOTES],
        "hashtags": hashtags,
        "mentions": mentions,
        "hidden": columns[_HIDDEN],
    }
    if state.viewer_id is not None:
        liked, bookmarked, retweeted = viewer
        data["liked"] = bool(liked)
        data["retweeted"] = bool(retweeted)
        data["bookmarked"] = bool(bookmarked)
    if level == EMBEDDED:
        data["quote_of_id"] = columns[_QUOTE_OF]
        data["retweet_of_id"] = columns[_RETWEET_OF]
        return data
    quoted, original = source.references(item, columns)
    data["quote_of"] = None if quoted is None else _render(quoted, source, state, _QUOTE_LEVEL[level])
    data["retweet_of"] = None if original is None else _render(original, source, state, _RETWEET_LEVEL[level])
    return data


def render(tweet: Tweet, state: RenderState, level: int = TWEET) -> dict:
    """One tweet as ``TweetSerializer`` (``level`` ``TWEET``), ``ReferencedTweetSerializer``
    (``REFERENCED``) or ``EmbeddedTweetSerializer`` (``EMBEDDED``) renders it."""
    return _render(tweet, _INSTANCES, state, level)


def render_tweets(tweets: Iterable[Tweet], request) -> list[dict]:
    """``TweetSerializer(many=True)``'s list for display-ready tweets, built directly."""
    state = RenderState(request)
    return [_render(tweet, _INSTANCES, state, TWEET) for tweet in tweets]


def render_rows(display: DisplayRows, request) -> list[dict]:
    """``TweetSerializer(many=True)``'s list for the rows of ``display``
    (``tweets.display.rows_for_display``), built from the rows: no model instance."""
    state = RenderState(request)
    source = _Rows(display)
    return [_render(row, source, state, TWEET) for row in display.rows]
