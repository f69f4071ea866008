from django.conf import settings
from django.db import models


class NotificationType(models.TextChoices):
    FOLLOW = "follow", "Follow"
    LIKE = "like", "Like"
    RETWEET = "retweet", "Retweet"
    REPLY = "reply", "Reply"
    MENTION = "mention", "Mention"
    QUOTE = "quote", "Quote"
    ROOM_LIVE = "room_live", "Room live"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=20, choices=NotificationType.choices)
    tweet = models.ForeignKey("tweets.Tweet", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey("rooms.Room", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # One notification per (recipient, what happened): like, unlike, like again does not stack up.
    dedup_key = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    read = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedup_key"], name="notifications_unique_per_event")
        ]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notifications_recipient_id"),
            models.Index(
                fields=["recipient", "-id"], condition=models.Q(read=False), name="notifications_recipient_unread"
            ),
        ]
