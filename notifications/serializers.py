from __future__ import annotations

from rest_framework import serializers

from accounts.serializers import UserSummarySerializer

from .models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(read_only=True)
    tweet = serializers.SerializerMethodField()
    room = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "type", "actor", "tweet", "room", "created_at", "read"]
        read_only_fields = fields

    def get_tweet(self, notification: Notification) -> dict | None:
        if notification.tweet_id is None:
            return None
        return {"id": notification.tweet_id, "text": notification.tweet.text}

    def get_room(self, notification: Notification) -> dict | None:
        if notification.room_id is None:
            return None
        return {"id": notification.room_id, "title": notification.room.title, "state": notification.room.state}


def notification_payload(notification: Notification) -> dict:
    """The JSON form pushed over sockets; the same shape as the REST list."""
    import json

    from rest_framework.utils.encoders import JSONEncoder

    return json.loads(json.dumps(NotificationSerializer(notification).data, cls=JSONEncoder))
