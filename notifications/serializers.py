from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserSummarySerializer
from tweets.serializers import MissingDisplayData, TweetSerializer

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
    """A notification. Runs no query: its tweet (as the recipient may see it now, or null) is
    attached where the page is built, by ``notifications.selectors.notifications_for_display``,
    and rendered as the context's viewer sees it; a notification without it is refused
    (``MissingDisplayData``)."""

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
        try:
            tweet = notification.display_tweet
        except AttributeError:
            raise MissingDisplayData(
                f"notification {notification.pk} has no display_tweet: "
                "pass it through notifications.selectors.notifications_for_display first"
            ) from None
        return TweetSerializer(tweet, context=self.context).data if tweet is not None else None


class UnreadCountSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=0)


class ViewerOnly:
    """Stands in for the request when rendering for a socket (there is none): it carries the
    viewer for the tweets' ``liked``/``retweeted``/``bookmarked``; media URLs stay site-relative."""

    def __init__(self, user):
        self.user = user

    def build_absolute_uri(self, location: str) -> str:
        return location
