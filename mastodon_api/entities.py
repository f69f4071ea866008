"""Statuses, notifications and relationships in Mastodon's shapes. Pages are rendered in a fixed
number of queries: the tweets come from ``tweets_for_display`` (or have ``attach_display_data``
applied), and what Mastodon adds (the parent's author, last post dates) is loaded per page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.request import Request

from accounts.models import User
from tweets.display import attach_display_data
from tweets.models import Tweet, TweetEdit, Visibility
from tweets.text import parse_hashtags

from . import presenters
from .html import text_to_html
from .selectors import ACCOUNT_COLUMNS, account_users, tweet_authors

ACCOUNT_FIELDS = frozenset(ACCOUNT_COLUMNS)

# Statuses' HTML by (server address, text, mentions, hashtags), per process, up to this many
# (then it starts again).
HTML_ENTRIES_KEPT = 10_000
_HTML_KEPT: dict[tuple, str] = {}

# Our visibility in Mastodon's words, and back. We have no "unlisted": it is taken as public
# (docs/mastodon.md). "direct" (private mentions) does not exist here.
VISIBILITY_OUT = {Visibility.PUBLIC: "public", Visibility.FOLLOWERS: "private"}
VISIBILITY_IN = {"public": Visibility.PUBLIC, "unlisted": Visibility.PUBLIC, "private": Visibility.FOLLOWERS}

# Our notification types in Mastodon's: replies and quotes reach the user as mentions.
NOTIFICATION_TYPES_OUT = {
    "follow": "follow",
    "like": "favourite",
    "retweet": "reblog",
    "reply": "mention",
    "mention": "mention",
    "quote": "mention",
}


def notification_types_in(mastodon_types: Iterable[str]) -> set[str]:
    """Our types for a list of Mastodon types (unknown ones match nothing)."""
    wanted = set(mastodon_types)
    return {ours for ours, theirs in NOTIFICATION_TYPES_OUT.items() if theirs in wanted}


class StatusRenderer:
    """Renders statuses for one request and viewer; ``prepare`` loads what a page needs. Each
    author's Account is built once per renderer, and the URLs through one ``Links``."""

    def __init__(self, request: Request):
        self.request = request
        self.viewer = request.user
        self.parent_authors: dict[int, int] = {}
        self.links = presenters.Links(request)
        self.users: dict[int, User] = {}  # authors loaded with ACCOUNT_FIELDS by ``prepare``
        self.accounts: dict[int, dict[str, Any]] = {}

    def _load_authors(self, tweets: list[Tweet]) -> None:
        """One query for the authors whose Account fields were not loaded with their tweet."""
        wanted = {
            tweet.author_id
            for tweet in tweets
            if tweet.author_id not in self.users and ACCOUNT_FIELDS & tweet.author.get_deferred_fields()
        }
        if wanted:
            self.users.update(account_users(wanted))

    def account(self, user: User) -> dict[str, Any]:
        """``presenters.account`` of ``user`` (the loaded row when ``prepare`` loaded one), built
        once per renderer."""
        data = self.accounts.get(user.pk)
        if data is None:
            data = self.accounts[user.pk] = presenters.account(
                self.request, self.users.get(user.pk, user), links=self.links
            )
        return data

    def prepare(self, tweets: list[Tweet], *, display_loaded: bool = True) -> None:
        # Pages from selectors' querysets come without display data: attach it here, once a page.
        missing = [t for t in tweets if t is not None and (not display_loaded or not hasattr(t, "display_hashtags"))]
        if missing:
            attach_display_data(missing, self.viewer)
        everything = [t for t in tweets if t is not None]
        everything += [t.display_retweet_of for t in everything if getattr(t, "display_retweet_of", None)]
        self._load_authors(everything)
        parent_ids = {t.reply_to_id for t in everything if t.reply_to_id} - set(self.parent_authors)
        if parent_ids:
            self.parent_authors.update(tweet_authors(parent_ids))

    def many(self, tweets: list[Tweet], *, display_loaded: bool = True) -> list[dict[str, Any]]:
        self.prepare(tweets, display_loaded=display_loaded)
        return [self.status(tweet) for tweet in tweets]

    def one(self, tweet: Tweet, *, display_loaded: bool = True) -> dict[str, Any]:
        return self.many([tweet], display_loaded=display_loaded)[0]

    def _content(self, text: str, mentions: list[dict], hashtags: Iterable[str]) -> str:
        """The status's HTML, converted once per process for the same text, mentions, hashtags
        and server address (the links are absolute): the conversion depends on nothing else."""
        names = tuple(m["username"] for m in mentions)
        key = (self.links.absolute("/"), text, names, tuple(hashtags))
        html = _HTML_KEPT.get(key)
        if html is None:
            html = text_to_html(
                text, mentions=names, hashtags=key[3], account_url=self.links.account, tag_url=self.links.tag
            )
            if len(_HTML_KEPT) >= HTML_ENTRIES_KEPT:
                _HTML_KEPT.clear()
            _HTML_KEPT[key] = html
        return html

    def history(self, tweet: Tweet, edits: list[TweetEdit]) -> list[dict[str, Any]]:
        """Mastodon's StatusEdit list of ``tweet`` (display data loaded): its earlier versions,
        oldest first, then the current one. An earlier version links the hashtags it contains and
        the mentions the status still has (who was mentioned then is not kept)."""
        mentions = getattr(tweet, "display_mentions", [])
        account = self.account(tweet.author)
        versions = [(edit.text, edit.created_at, parse_hashtags(edit.text)) for edit in edits]
        versions.append((tweet.text, tweet.edited_at or tweet.created_at, getattr(tweet, "display_hashtags", [])))
        return [
            {
                "content": self._content(text, mentions, hashtags) if not tweet.retweet_of_id else "",
                "spoiler_text": "",
                "sensitive": False,
                "created_at": presenters.iso(created_at),
                "account": account,
                "poll": None,
                "media_attachments": [],
                "emojis": [],
            }
            for text, created_at, hashtags in versions
        ]

    def status(self, tweet: Tweet) -> dict[str, Any]:
        links = self.links
        original = getattr(tweet, "display_retweet_of", None) if tweet.retweet_of_id else None
        mentions = getattr(tweet, "display_mentions", [])
        hashtags = getattr(tweet, "display_hashtags", [])
        url = links.absolute(f"/api/v1/tweets/{tweet.pk}")
        data = {
            "id": str(tweet.pk),
            "uri": url,
            "url": url,
            "created_at": presenters.iso(tweet.created_at),
            "edited_at": presenters.iso(tweet.edited_at),
            "account": self.account(tweet.author),
            "content": "" if tweet.retweet_of_id else self._content(tweet.text, mentions, hashtags),
            "visibility": VISIBILITY_OUT.get(tweet.visibility, "public"),
            "sensitive": False,
            "spoiler_text": "",
            "language": None,
            "media_attachments": [],
            "application": None,
            "mentions": [
                {
                    "id": str(m["id"]),
                    "username": m["username"],
                    "acct": m["username"],
                    "url": links.account(m["username"]),
                }
                for m in mentions
            ],
            "tags": [{"name": tag, "url": links.tag(tag)} for tag in hashtags],
            "emojis": [],
            "reblogs_count": tweet.retweet_count,
            "favourites_count": tweet.like_count,
            "replies_count": tweet.reply_count,
            "in_reply_to_id": str(tweet.reply_to_id) if tweet.reply_to_id else None,
            "in_reply_to_account_id": str(self.parent_authors[tweet.reply_to_id])
            if tweet.reply_to_id in self.parent_authors
            else None,
            "reblog": self.status(original) if original is not None else None,
            "poll": None,
            "card": None,
            "filtered": [],
        }
        if self.viewer.is_authenticated:
            data.update(
                favourited=bool(getattr(tweet, "viewer_liked", False)),
                reblogged=bool(getattr(tweet, "viewer_retweeted", False)),
                bookmarked=bool(getattr(tweet, "viewer_bookmarked", False)),
                muted=False,
                pinned=False,
            )
        return data


def relationship(user: User, *, viewer: User) -> dict[str, Any]:
    """Mastodon's Relationship of ``viewer`` to ``user``, from a user annotated by
    ``social.selectors.users_with_viewer_state``."""
    return {
        "id": str(user.pk),
        "following": bool(getattr(user, "viewer_following", False)),
        "showing_reblogs": True,
        "notifying": False,
        "languages": None,
        "followed_by": bool(getattr(user, "viewer_followed_by", False)),
        "blocking": bool(getattr(user, "viewer_blocking", False)),
        "blocked_by": bool(getattr(user, "viewer_blocked_by", False)),
        "muting": bool(getattr(user, "viewer_muting", False)),
        "muting_notifications": bool(getattr(user, "viewer_muting", False)),
        "requested": False,
        "requested_by": False,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }


def notifications(request: Request, rows: list, tweets: dict[int, Tweet]) -> list[dict[str, Any]]:
    """Mastodon Notifications; ``tweets`` holds the visible tweets they refer to (display loaded).
    A notification whose tweet the viewer can no longer see is shown without its status."""
    renderer = StatusRenderer(request)
    renderer.prepare(list(tweets.values()))
    out = []
    for row in rows:
        tweet = tweets.get(row.tweet_id) if row.tweet_id else None
        out.append(
            {
                "id": str(row.pk),
                "type": NOTIFICATION_TYPES_OUT[row.type],
                "created_at": presenters.iso(row.created_at),
                "account": renderer.account(row.actor),
                "status": renderer.status(tweet) if tweet is not None else None,
                "group_key": f"ungrouped-{row.pk}",
            }
        )
    return out
