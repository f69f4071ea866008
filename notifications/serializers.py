from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserSummarySerializer
from tweets.serializers import TweetSerializer

from .models import Notification, NotificationType


class NotificationRoomSerializer(serializers.Serializer):
    """The small form of a room embedded in a notification."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.CharField()


@extend_schema_field({"type": "string", "enum": NotificationType.values})
class NotificationTypeField(serializers.ChoiceField):
    """The notification type, as an inline enum (a shared ``TypeEnum`` component would collide)."""


class NotificationSerializer(serializers.ModelSerializer):
    """A notification. ``tweet`` comes from the context: ``tweets`` (tweet id to its rendered
    form, for the tweets the one recipient may see) or ``tweets_by_recipient`` (recipient id to
    such a map), so a page renders its tweets in a fixed number of queries and a tweet the
    recipient may no longer see shows as null."""

    actor = UserSummarySerializer(read_only=True)
    type = NotificationTypeField(choices=NotificationType.choices, read_only=True)
    tweet = serializers.SerializerMethodField()
    room = NotificationRoomSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "type", "actor", "tweet", "room", "created_at", "read"]
        read_only_fields = fields

    @extend_schema_field(TweetSerializer(allow_null=True))
    def get_tweet(self, notification: Notification) -> dict | None:
        if notification.tweet_id is None:
            return None
        tweets = self.context.get("tweets")
        if tweets is None:  # notifications of several recipients: each sees the tweet as they may
            tweets = self.context.get("tweets_by_recipient", {}).get(notification.recipient_id, {})
        return tweets.get(notification.tweet_id)


class UnreadCountSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=0)


class ViewerOnly:
    """Stands in for the request when rendering for a socket (there is none): it carries the
    viewer for the tweets' ``liked``/``retweeted``/``bookmarked``; media URLs stay site-relative."""

    def __init__(self, user):
        self.user = user

    def build_absolute_uri(self, location: str) -> str:
        return location


def rendered_tweets(*, viewer, tweet_ids: list[int], request=None) -> dict[int, dict]:
    """The tweets among ``tweet_ids`` that ``viewer`` may see, in the full tweet shape as that
    viewer sees it, by id (a fixed number of queries, whatever the number of ids)."""
    from .selectors import tweets_visible_to

    ids = {tweet_id for tweet_id in tweet_ids if tweet_id is not None}
    if not ids:
        return {}
    context = {"request": request if request is not None else ViewerOnly(viewer)}
    tweets = tweets_visible_to(viewer=viewer, ids=ids)
    return {tweet.pk: TweetSerializer(tweet, context=context).data for tweet in tweets}


def serialize_notifications(notifications: list[Notification], *, viewer, request=None) -> list[dict]:
    """Renders notifications of one recipient (``viewer``) with their tweets as that viewer sees them."""
    tweets = rendered_tweets(viewer=viewer, tweet_ids=[n.tweet_id for n in notifications], request=request)
    context = {"request": request, "tweets": tweets}
    return NotificationSerializer(notifications, many=True, context=context).data


def notification_payloads(notifications: list[Notification]) -> list[dict]:
    """The JSON pushed over sockets, one per notification: the same shape as an item of the
    REST list, each rendered for its own recipient (who must be loaded: ``recipient``).

    One serializer pass for all of them (a fan-out of hundreds costs one, not hundreds); tweets
    are rendered once per recipient who has any."""
    import json

    from rest_framework.utils.encoders import JSONEncoder

    tweet_ids_by_recipient: dict[int, list[int]] = {}
    recipients: dict[int, object] = {}
    for notification in notifications:
        if notification.tweet_id is not None:
            tweet_ids_by_recipient.setdefault(notification.recipient_id, []).append(notification.tweet_id)
            recipients[notification.recipient_id] = notification.recipient
    tweets_by_recipient = {
        recipient_id: rendered_tweets(viewer=recipients[recipient_id], tweet_ids=tweet_ids)
        for recipient_id, tweet_ids in tweet_ids_by_recipient.items()
    }
    data = NotificationSerializer(notifications, many=True, context={"tweets_by_recipient": tweets_by_recipient}).data
    return json.loads(json.dumps(data, cls=JSONEncoder))
