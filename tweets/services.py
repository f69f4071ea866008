"""Tweet writes: post, edit, delete, retweet, like, bookmark.

Every change of a tweet goes through one of these functions. Rules kept here:
- counters change only with ``F()`` updates, and only when a row was really inserted or
  deleted (uniqueness is a database constraint: a second like is an IntegrityError, not a
  check in Python), so they stay exact under concurrency;
- row locks are always taken tweets first, then users, each in ascending id order
  (no deadlock between two actions touching the same rows);
- a row that references an existing tweet (like, retweet, bookmark) is inserted only while
  ``_hold_against_delete`` keeps that tweet from being deleted: PostgreSQL checks foreign keys
  at COMMIT, outside any savepoint, so a concurrent delete must wait, or win and be seen;
- notifications are stored in the same transaction (``notification_create``), timeline
  fan-out leaves only after commit (``twitterclone.effects``, through ``tweets.feeds``);
- an edit or a delete drops the tweet's cached hydration (``tweets.hydration``);
- a retweet is resolved to its original for every interaction (liking, quoting, replying to
  or retweeting a retweet acts on the tweet it retweets).
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from notifications.services import notification_create
from social.selectors import is_blocked_either_way
from twitterclone.errors import Forbidden, InvalidInput, NotFound

from . import links, live
from .hydration import hydration_invalidate, hydration_prefill
from .models import Bookmark, Like, Mention, Tweet, TweetEdit, TweetHashtag, Visibility
from .text import clean_text, parse_hashtags, parse_mentions, text_errors

logger = logging.getLogger("twitterclone.tweets")

DELETE_PERMISSION = "tweets.delete_tweet"


def _increment(model, pk: int, field: str, delta: int) -> None:
    """Atomic counter change; a decrement never goes below zero."""
    queryset = model.objects.filter(pk=pk)
    if delta < 0:
        queryset = queryset.filter(**{f"{field}__gte": -delta})
    queryset.update(**{field: F(field) + delta})


def _valid_text(text: str) -> str:
    text = clean_text(text)
    errors = text_errors(text)
    if errors:
        raise InvalidInput(errors[0], fields={"text": errors})
    return text


def _interaction_target(*, actor: User, tweet_id: int, field: str | None = None) -> Tweet:
    """The tweet ``actor`` wants to reply to, quote, like or retweet, resolved to its original
    when it is a retweet. NotFound (404) when it does not exist or ``actor`` may not see it;
    Forbidden ``blocked`` (403) when its author and ``actor`` block each other (either way)."""
    fields = {field: ["No such tweet."]} if field else None
    tweet = Tweet.objects.select_related("author").filter(pk=tweet_id).first()
    if tweet is not None and tweet.retweet_of_id is not None:
        tweet = Tweet.objects.select_related("author").filter(pk=tweet.retweet_of_id).first()
    if tweet is None:
        raise NotFound("No such tweet.", fields=fields)
    if tweet.author_id != actor.pk and is_blocked_either_way(user_a_id=actor.pk, user_b_id=tweet.author_id):
        raise Forbidden("You cannot interact with this account: one of you blocks the other.", code="blocked")
    if not Tweet.objects.visible_to(actor).filter(pk=tweet.pk).exists():
        raise NotFound("No such tweet.", fields=fields)
    return tweet


def _hold_against_delete(tweet_id: int) -> None:
    """Keeps the tweet from being deleted until the current transaction ends, or raises
    NotFound if it is already gone. Call inside ``transaction.atomic()``, before inserting a row
    that references the tweet.

    On PostgreSQL this is a ``FOR KEY SHARE`` row lock, the lock a foreign-key check itself
    takes: it conflicts only with a delete (or a key change), not with other likers or with
    the counter updates, so concurrent likes of one tweet do not queue behind each other. A
    delete that started first is waited for, and then the row is seen to be gone. SQLite
    serializes writers, so a plain existence check inside the transaction is enough there."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Tweet._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE", [tweet_id])  # noqa: S608
            found = cursor.fetchone() is not None
    else:
        found = Tweet.objects.filter(pk=tweet_id).exists()
    if not found:
        raise NotFound("No such tweet.")


def _check_shareable(*, actor: User, tweet: Tweet, action: str) -> None:
    if tweet.visibility == Visibility.FOLLOWERS and tweet.author_id != actor.pk:
        raise Forbidden(f"Only its author can {action} a followers-only tweet.", code="followers_only")


def tweet_create(
    *,
    author: User,
    text: str,
    reply_to_id: int | None = None,
    quote_of_id: int | None = None,
    visibility: str = Visibility.PUBLIC,
) -> Tweet:
    """Posts a tweet, a reply (``reply_to_id``) or a quote (``quote_of_id``).

    Text: 1 to 280 code points after trimming. The parent or quoted tweet must be visible to
    the author (else 404); replying to or quoting someone who blocks the author, or whom the
    author blocks, is 403 ``blocked``; only its author may quote a followers-only tweet (403
    ``followers_only``). Hashtags and mentions are parsed and linked; the parent's author
    (reply), the quoted author (quote) and the mentioned users are notified. The tweet is
    pushed to followers' home feeds after commit."""
    text = _valid_text(text)
    if visibility not in Visibility.values:
        raise InvalidInput("Unknown visibility.", fields={"visibility": ["Use public or followers."]})
    parent = _interaction_target(actor=author, tweet_id=reply_to_id, field="reply_to") if reply_to_id else None
    quoted = _interaction_target(actor=author, tweet_id=quote_of_id, field="quote_of") if quote_of_id else None
    if quoted is not None:
        _check_shareable(actor=author, tweet=quoted, action="quote")

    with transaction.atomic():
        counters = []
        if parent is not None:
            counters.append((parent.pk, "reply_count"))
        if quoted is not None:
            counters.append((quoted.pk, "quote_count"))
        for referenced_id, field in sorted(counters):  # (tweets locked first, then the author)
            _increment(Tweet, referenced_id, field, 1)
        # A new conversation's id is the tweet's own: taken with the author's counter, so the
        # insert sets it (PostgreSQL); elsewhere set by an update after the insert.
        new_id = None if parent is not None else links.count_post_and_take_id(author.pk)
        conversation_id = (parent.conversation_id or parent.pk) if parent is not None else new_id
        tweet = Tweet.objects.create(
            id=new_id,
            author=author,
            text=text,
            visibility=visibility,
            reply_to=parent,
            quote_of=quoted,
            conversation_id=conversation_id,
        )
        if conversation_id is None:
            tweet.conversation_id = tweet.pk
            Tweet.objects.filter(pk=tweet.pk).update(conversation_id=tweet.pk)
        if new_id is None:
            _increment(User, author.pk, "tweets_count", 1)
        hashtags = parse_hashtags(text)
        in_order = links.link_hashtags(tweet, hashtags)
        if parent is not None:
            notification_create(recipient_id=parent.author_id, actor_id=author.pk, type="reply", tweet_id=tweet.pk)
        if quoted is not None:
            notification_create(recipient_id=quoted.author_id, actor_id=author.pk, type="quote", tweet_id=tweet.pk)
        notified = frozenset(t.author_id for t in (parent, quoted) if t is not None)
        mentioned = links.mentionable_users(author, parse_mentions(text))
        links.link_mentions(tweet, mentioned, already_notified=notified)
        if in_order:  # the answer and the first pages read neither the links nor the mentions
            hydration_prefill(tweet, hashtags=hashtags, mentioned_ids=[user.pk for user in mentioned])
        _fan_out_on_commit(tweet)
        live.publish_created(tweet, tags=hashtags)
    return tweet


def tweet_edit(*, tweet: Tweet, actor: User, text: str) -> Tweet:
    """Changes a tweet's text. Only its author may (403 ``not_author``); a retweet has no text
    to edit (400). The earlier text is kept as a ``TweetEdit`` (with when it was written),
    ``edited_at`` is set, and hashtags and mentions are parsed again: new mentions are
    notified, removed ones unlinked. Editing to the same text changes nothing."""
    if tweet.author_id != actor.pk:
        raise Forbidden("Only the author can edit a tweet.", code="not_author")
    if tweet.retweet_of_id is not None:
        raise InvalidInput("A retweet has no text to edit.", code="retweet_not_editable")
    text = _valid_text(text)
    with transaction.atomic():
        current = Tweet.objects.select_for_update().filter(pk=tweet.pk).first()
        if current is None:
            raise NotFound("No such tweet.")
        if current.text == text:
            return current
        now = timezone.now()
        TweetEdit.objects.create(tweet=current, text=current.text, created_at=current.edited_at or current.created_at)
        current.text = text
        current.edited_at = now
        current.save(update_fields=["text", "edited_at"])

        names = parse_hashtags(text)
        TweetHashtag.objects.filter(tweet=current).exclude(hashtag__name__in=names).delete()
        links.link_hashtags(current, names)

        users = links.mentionable_users(actor, parse_mentions(text))
        Mention.objects.filter(tweet=current).exclude(user_id__in=[user.pk for user in users]).delete()
        links.link_mentions(current, users)
        hydration_invalidate([current.pk])
        live.publish_edited(current)
    return current


def tweet_delete(*, tweet: Tweet, actor: User) -> None:
    """Deletes a tweet. Allowed to its author and to users with the ``tweets.delete_tweet``
    permission (moderators, through their group); anyone else gets 403 ``forbidden``.

    Deleting an original also deletes its retweets (and their authors' ``tweets_count``);
    replies and quotes stay, keeping the deleted id in ``reply_to`` / ``quote_of``. Counters
    of the parent, quoted or retweeted tweet and of the authors stay exact; the tweet and its
    retweets leave every home feed after commit. Deleting an already deleted tweet is 404.

    Deleting someone else's tweet is a moderator action, whichever way it comes (API or admin):
    it goes through ``moderation.services.tweet_remove``, which records it in the moderation log
    and resolves the open reports on the tweet (and refuses non-staff accounts)."""
    if tweet.author_id != actor.pk:
        if not actor.has_perm(DELETE_PERMISSION):
            raise Forbidden("Only the author or a moderator can delete a tweet.")
        from moderation.services import API_REASON, tweet_remove

        tweet_remove(tweet=tweet, moderator=actor, reason=API_REASON, via="api")
        return
    tweet_destroy(tweet=tweet)


def tweet_destroy(*, tweet: Tweet) -> None:
    """Deletes a tweet (as ``tweet_delete`` describes) with no permission check: for
    ``tweet_delete`` (the author) and ``moderation.services.tweet_remove`` (a moderator, logged)."""
    with transaction.atomic():
        current = Tweet.objects.select_for_update().filter(pk=tweet.pk).first()
        if current is None:
            raise NotFound("No such tweet.")
        retweets = list(Tweet.objects.filter(retweet_of_id=current.pk).values_list("id", "author_id"))
        removed = [(current.pk, current.author_id), *retweets]
        live.publish_deleted(current)
        current.delete()  # (sets current.pk to None)
        references = [
            (current.reply_to_id, "reply_count"),
            (current.quote_of_id, "quote_count"),
            (current.retweet_of_id, "retweet_count"),
        ]
        for referenced_id, field in sorted((pk, field) for pk, field in references if pk is not None):
            _increment(Tweet, referenced_id, field, -1)
        author_ids = sorted({current.author_id} | {author_id for _, author_id in retweets})
        for author_id in author_ids:
            # Each retweeter has exactly one retweet of this tweet (a database constraint).
            _increment(User, author_id, "tweets_count", -1)
        hydration_invalidate([tweet_id for tweet_id, _ in removed])
        _remove_from_feeds(removed)


def retweet_create(*, user: User, tweet_id: int) -> int:
    """Retweets a tweet (a retweet of a retweet retweets its original). Once per user per
    tweet: a second retweet changes nothing (a database constraint decides under races).
    403 ``blocked`` across a block, 403 ``followers_only`` for someone else's followers-only
    tweet. Returns the original tweet's id."""
    original = _interaction_target(actor=user, tweet_id=tweet_id)
    _check_shareable(actor=user, tweet=original, action="retweet")
    with transaction.atomic():
        _hold_against_delete(original.pk)
        try:
            with transaction.atomic():
                retweet = Tweet.objects.create(
                    author=user, text="", retweet_of=original, visibility=original.visibility
                )
        except IntegrityError:
            return original.pk  # already retweeted
        _increment(Tweet, original.pk, "retweet_count", 1)
        _increment(User, user.pk, "tweets_count", 1)
        notification_create(recipient_id=original.author_id, actor_id=user.pk, type="retweet", tweet_id=original.pk)
        _fan_out_on_commit(retweet)
        live.publish_created(retweet)
    return original.pk


def retweet_delete(*, user: User, tweet_id: int) -> int:
    """Removes the user's retweet of a tweet (given by the original's id or the retweet's own
    id). Idempotent: un-retweeting what was never retweeted changes nothing. Returns the
    original tweet's id; NotFound if the tweet does not exist."""
    tweet = Tweet.objects.filter(pk=tweet_id).first()
    if tweet is None:
        raise NotFound("No such tweet.")
    original_id = tweet.retweet_of_id or tweet.pk
    with transaction.atomic():
        retweet = Tweet.objects.select_for_update().filter(author_id=user.pk, retweet_of_id=original_id).first()
        if retweet is not None:
            removed = [(retweet.pk, user.pk)]
            live.publish_deleted(retweet)
            retweet.delete()
            _increment(Tweet, original_id, "retweet_count", -1)
            _increment(User, user.pk, "tweets_count", -1)
            _remove_from_feeds(removed)
    return original_id


def like_create(*, user: User, tweet_id: int) -> int:
    """Likes a tweet (a retweet's original). Once per user per tweet: liking twice counts
    once (a database constraint decides under races). 403 ``blocked`` across a block.
    Notifies the author. Returns the liked tweet's id."""
    tweet = _interaction_target(actor=user, tweet_id=tweet_id)
    with transaction.atomic():
        _hold_against_delete(tweet.pk)
        try:
            with transaction.atomic():
                Like.objects.create(user=user, tweet=tweet)
        except IntegrityError:
            return tweet.pk  # already liked
        _increment(Tweet, tweet.pk, "like_count", 1)
        notification_create(recipient_id=tweet.author_id, actor_id=user.pk, type="like", tweet_id=tweet.pk)
    return tweet.pk


def like_delete(*, user: User, tweet_id: int) -> int:
    """Removes the user's like. Idempotent. Returns the tweet's id (NotFound if it does not exist)."""
    tweet = Tweet.objects.filter(pk=tweet_id).first()
    if tweet is None:
        raise NotFound("No such tweet.")
    tweet_id = tweet.retweet_of_id or tweet.pk
    with transaction.atomic():
        deleted, _ = Like.objects.filter(user_id=user.pk, tweet_id=tweet_id).delete()
        if deleted:
            _increment(Tweet, tweet_id, "like_count", -1)
    return tweet_id


def bookmark_create(*, user: User, tweet_id: int) -> int:
    """Bookmarks a tweet the user may see (a retweet's original). Idempotent. Bookmarks are
    private: nobody is notified, and a block does not prevent them. Returns the tweet's id."""
    tweet = Tweet.objects.filter(pk=tweet_id).first()
    if tweet is not None and tweet.retweet_of_id is not None:
        tweet = Tweet.objects.filter(pk=tweet.retweet_of_id).first()
    if tweet is None or not Tweet.objects.visible_to(user).filter(pk=tweet.pk).exists():
        raise NotFound("No such tweet.")
    with transaction.atomic():
        _hold_against_delete(tweet.pk)
        Bookmark.objects.bulk_create([Bookmark(user=user, tweet=tweet)], ignore_conflicts=True)
    return tweet.pk


def bookmark_delete(*, user: User, tweet_id: int) -> int:
    """Removes a bookmark. Idempotent. Returns the tweet's id (NotFound if it does not exist)."""
    tweet = Tweet.objects.filter(pk=tweet_id).first()
    if tweet is None:
        raise NotFound("No such tweet.")
    tweet_id = tweet.retweet_of_id or tweet.pk
    Bookmark.objects.filter(user_id=user.pk, tweet_id=tweet_id).delete()
    return tweet_id


def _fan_out_on_commit(tweet: Tweet) -> None:
    from . import feeds

    feeds.schedule_fan_out(tweet_id=tweet.pk, author_id=tweet.author_id)


def _remove_from_feeds(removed: list[tuple[int, int]]) -> None:
    from . import feeds

    feeds.schedule_removal(removed)
