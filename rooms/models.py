from django.conf import settings
from django.db import models
from django.utils import timezone


class RoomState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"
    ENDED = "ended", "Ended"


class Role(models.TextChoices):
    HOST = "host", "Host"
    COHOST = "cohost", "Co-host"
    SPEAKER = "speaker", "Speaker"
    LISTENER = "listener", "Listener"


# Roles whose holders may send audio (and so WebRTC offers).
SPEAKING_ROLES = frozenset({Role.HOST, Role.COHOST, Role.SPEAKER})


def may_speak(role: str, muted_by_host: bool) -> bool:
    """May a participant with this role be heard (on Janus: be on the AudioBridge stage)?"""
    return role in SPEAKING_ROLES and not muted_by_host


# Roles that moderate the stage: promote, demote, mute.
MODERATING_ROLES = frozenset({Role.HOST, Role.COHOST})


class Room(models.Model):
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_rooms")
    title = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=10, choices=RoomState.choices, default=RoomState.SCHEDULED, db_index=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # On Janus: the pin of the room's Streaming mountpoint (random, set at the start, replaced
    # when the host removes someone: rooms.media.service, "pins"). Empty without Janus.
    media_pin = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return self.title


class ParticipantQuerySet(models.QuerySet):
    def present(self) -> "ParticipantQuerySet":
        """Participants who are in the room now (have not left)."""
        return self.filter(left_at__isnull=True)


class Participant(models.Model):
    """A user's presence in a room. ``left_at`` is set when they leave; rows are kept for history.

    ``disconnected_at`` is set while a present participant has no open room socket (from the
    moment they joined over REST, or their last socket closed); the grace-period check makes
    them leave once it is older than the grace period for their role."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_participations")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.LISTENER)
    hand_raised = models.BooleanField(default=False)
    muted = models.BooleanField(default=True)
    muted_by_host = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="rooms_participant_unique")]
        indexes = [
            models.Index(
                fields=["room", "role"], condition=models.Q(left_at__isnull=True), name="rooms_participant_present"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id} as {self.role}"


class RoomConnection(models.Model):
    """One open WebSocket of a participant (a user may have several: devices, tabs).

    Rows are added when a room socket connects and removed when it closes; a participant with
    none left starts the disconnect grace period. ``seen_at`` is refreshed by the heartbeat of the
    server process holding the socket: a row older than ``ROOM_CONNECTION_STALE_SECONDS`` is a
    socket whose server is gone, and counts as closed."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="connections")
    channel_name = models.CharField(max_length=200, unique=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.channel_name
