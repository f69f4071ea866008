"""Celery tasks of the tweets app: thin wrappers around tweets.feeds, owning the retries."""

from __future__ import annotations

from celery import shared_task
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from . import feeds

RETRY_ON = (RedisConnectionError, RedisTimeoutError)


@shared_task(
    autoretry_for=RETRY_ON,
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def fan_out_tweet(tweet_id: int) -> int:
    """Pushes a new tweet (or retweet) into its author's followers' home feeds."""
    return feeds.fan_out(tweet_id=tweet_id)


@shared_task(
    autoretry_for=RETRY_ON,
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def remove_tweets_from_feeds(removed: list[list[int]]) -> None:
    """Removes deleted tweets ([id, author id] pairs) from home feeds."""
    feeds.remove_tweets([(tweet_id, author_id) for tweet_id, author_id in removed])
