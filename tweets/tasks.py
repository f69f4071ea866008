"""Celery tasks of the tweets app: thin wrappers around tweets.feeds, owning the retries.
Tasks import feeds; feeds never import tasks (they queue them by name)."""

from __future__ import annotations

from celery import shared_task
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from twitterclone import effects

from . import feeds

RETRY_ON = (RedisConnectionError, RedisTimeoutError)


@shared_task(
    name=feeds.FAN_OUT_TASK,
    autoretry_for=RETRY_ON,
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def fan_out_tweet(tweet_id: int, before_follow: int | None = None) -> int:
    """Pushes a new tweet (or retweet) into one chunk of its author's followers' home feeds;
    queues the next chunk first, so that another worker can take it meanwhile."""
    chunk = feeds.fan_out_plan(tweet_id=tweet_id, before_follow=before_follow)
    if chunk is None:
        return 0
    if chunk.next_before is not None:
        # Through the outbox: a broker hiccup here delays the rest of the fan-out, never drops it.
        effects.task_after_commit(feeds.FAN_OUT_TASK, tweet_id, chunk.next_before)
    return feeds.fan_out_push(chunk)


@shared_task(
    name=feeds.REMOVE_TASK,
    autoretry_for=RETRY_ON,
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def remove_tweets_from_feeds(removed: list[list[int]]) -> None:
    """Removes deleted tweets ([id, author id] pairs) from home feeds."""
    feeds.remove_tweets([(tweet_id, author_id) for tweet_id, author_id in removed])
