from __future__ import annotations

import functools

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    FOLLOWERS = "followers", "Followers only"


@functools.lru_cache(maxsize=4096)
def _visible_q(viewer_id: int | None, prefix: str = "") -> Q:
    """The visibility rule for one tweet, as a Q on fields reached through ``prefix``
    (``""`` for the tweet itself, ``"retweet_of__"`` for a retweet's original).

    Visible means: not hidden, an active and unsuspended author, public or followed by the
    viewer, and an author who does not block the viewer. Authors always see their own tweets.

    Cached per viewer: the Q holds only the viewer's id (the rule is evaluated by the database
    each time), and Django copies it when a queryset uses it, so sharing it is safe; building
    its subqueries is most of the cost of ``visible_to``."""
    from social.models import Block, Follow

    author_ok = Q(**{f"{prefix}author__is_active": True, f"{prefix}author__is_suspended": False})
    not_hidden = Q(**{f"{prefix}is_hidden": False})
    public = Q(**{f"{prefix}visibility": Visibility.PUBLIC})
    if viewer_id is None:
        return author_ok & not_hidden & public
    follows_author = Exists(Follow.objects.filter(follower_id=viewer_id, followee_id=OuterRef(f"{prefix}author_id")))
    blocked_by_author = Exists(Block.objects.filter(blocker_id=OuterRef(f"{prefix}author_id"), blocked_id=viewer_id))
    own = Q(**{f"{prefix}author_id": viewer_id})
    return own | (author_ok & not_hidden & (public | follows_author) & ~blocked_by_author)


def viewer_id_of(viewer) -> int | None:
    """The id of an authenticated viewer, None for anonymous ones (or no viewer)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    return viewer.pk


class TweetQuerySet(models.QuerySet):
    def visible_to(self, viewer, *, retweets: bool = True) -> TweetQuerySet:
        """The tweets ``viewer`` (a user, AnonymousUser or None) may see. THE visibility rule:
        every read of tweets (detail, lists, timelines, search, hashtags, replies, context,
        likes...) goes through it, and so do Redis feeds at read time.

        Hidden: tweets with ``is_hidden`` (except to their author), tweets of suspended or
        inactive authors (except to themselves), followers-only tweets for non-followers,
        tweets of authors who block the viewer, and retweets whose original is hidden by any
        of these rules. (A quote of an invisible tweet stays visible; its ``quote_of`` is
        shown as null by ``tweets.display.attach_display_data``.)

        ``retweets=False`` leaves retweets out altogether, which spares the database the
        check of their originals (used to load quoted and retweeted tweets, never retweets)."""
        viewer_id = viewer_id_of(viewer)
        if not retweets:
            return self.filter(_visible_q(viewer_id), retweet_of__isnull=True)
        return self.filter(_visible_q(viewer_id)).filter(
            Q(retweet_of__isnull=True) | _visible_q(viewer_id, "retweet_of__")
        )

    def originals(self) -> TweetQuerySet:
        """Tweets that are not retweets (posts, replies, quotes)."""
        return self.filter(retweet_of__isnull=True)


class Tweet(models.Model):
    """A post. A retweet is a Tweet with ``retweet_of`` set and no text of its own.

    ``reply_to`` and ``quote_of`` keep the referenced id even after that tweet is deleted
    (no database constraint), so a reply still shows that its parent existed.
    """

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tweets")
    text = models.TextField(blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="replies"
    )
    # Id of the first tweet of the thread (the tweet itself for a root); threads are read by it.
    conversation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    quote_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="quotes"
    )
    retweet_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="retweets")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    like_count = models.PositiveIntegerField(default=0)
    retweet_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)
    quote_count = models.PositiveIntegerField(default=0)

    # Moderation: a hidden tweet is gone from the API for everyone but its author.
    is_hidden = models.BooleanField(default=False, db_index=True)
    hidden_at = models.DateTimeField(null=True, blank=True)

    objects = TweetQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["author", "retweet_of"],
                condition=models.Q(retweet_of__isnull=False),
                name="tweets_one_retweet_per_user",
            )
        ]
        indexes = [
            models.Index(fields=["author", "-id"], name="tweets_author_id"),
            models.Index(fields=["reply_to", "id"], name="tweets_reply_to_id"),
        ]

    def __str__(self) -> str:
        return f"{self.pk}: {self.text[:40]}"


class TweetEdit(models.Model):
    """An earlier version of a tweet's text, kept on every edit for auditing."""

    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="edits")
    text = models.TextField()
    created_at = models.DateTimeField(help_text="When this version was written.")
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tweet"], name="tweets_like_unique")]
        indexes = [
            models.Index(fields=["user", "-id"], name="tweets_like_user_id"),
            models.Index(fields=["tweet", "-id"], name="tweets_like_tweet_id"),
        ]


class Bookmark(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks")
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tweet"], name="tweets_bookmark_unique")]
        indexes = [models.Index(fields=["user", "-id"], name="tweets_bookmark_user_id")]


class Hashtag(models.Model):
    name = models.CharField(max_length=100, unique=True, help_text="Lower-case, without '#'.")

    def __str__(self) -> str:
        return f"#{self.name}"


class TweetHashtag(models.Model):
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="hashtag_links")
    hashtag = models.ForeignKey(Hashtag, on_delete=models.CASCADE, related_name="tweet_links")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tweet", "hashtag"], name="tweets_tweethashtag_unique")]
        indexes = [models.Index(fields=["hashtag", "-tweet"], name="tweets_hashtag_tweet")]


class Mention(models.Model):
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="mention_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentioned_in")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tweet", "user"], name="tweets_mention_unique")]
