from django.conf import settings
from django.db import models


class RoomState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"
    ENDED = "ended", "Ended"


class Role(models.TextChoices):
    HOST = "host", "Host"
    COHOST = "cohost", "Co-host"
    SPEAKER = "speaker", "Speaker"
    LISTENER = "listener", "Listener"


class Room(models.Model):
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_rooms")
    title = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=10, choices=RoomState.choices, default=RoomState.SCHEDULED, db_index=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title


class Participant(models.Model):
    """A user's presence in a room. ``left_at`` is set when they leave; rows are kept for history."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_participations")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.LISTENER)
    hand_raised = models.BooleanField(default=False)
    muted = models.BooleanField(default=True)
    muted_by_host = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="rooms_participant_unique")]
