from __future__ import annotations

from rest_framework import serializers

from accounts.serializers import UserSummarySerializer

from .models import Notification, NotificationType


class NotificationRoomSerializer(serializers.Serializer):
    """The small form of a room embedded in a notification."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.CharField()


class NotificationSerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(read_only=True)
    type = serializers.ChoiceField(choices=NotificationType.choices, read_only=True)
    tweet = serializers.SerializerMethodField()
    room = NotificationRoomSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "type", "actor", "tweet", "room", "created_at", "read"]
        read_only_fields = fields

    def get_tweet(self, notification: Notification) -> dict | None:
        if notification.tweet_id is None:
            return None
        return {"id": notification.tweet_id}


def notification_payloads(notifications: list[Notification]) -> list[dict]:
    """The JSON form pushed over sockets; the same shape as an item of the REST list."""
    import json

    from rest_framework.utils.encoders import JSONEncoder

    return [json.loads(json.dumps(NotificationSerializer(n).data, cls=JSONEncoder)) for n in notifications]
