from __future__ import annotations

import json
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from accounts.serializers import UserSummarySerializer
from twitterclone.serializers import StrictSerializer

from .models import Participant, Role, Room, RoomState


def json_safe(data: Any) -> Any:
    """Plain JSON types only (datetimes as ISO strings), as the Redis channel layer needs."""
    return json.loads(json.dumps(data, cls=JSONEncoder))


class ParticipantSerializer(serializers.ModelSerializer):
    """A present participant. ``muted`` is the microphone state; ``muted_by_host`` says a host
    or co-host muted them, and that they cannot unmute until it is lifted."""

    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = Participant
        fields = ["user", "role", "hand_raised", "muted", "muted_by_host", "joined_at"]
        read_only_fields = fields


class RoomSerializer(serializers.ModelSerializer):
    """A room. In the detail (and ``room_state``) ``participants`` lists everyone present, host
    first, then co-hosts, speakers and listeners; in lists it holds the stage only (host,
    co-hosts and speakers). ``speaker_count`` counts the stage, ``listener_count`` the rest."""

    host = UserSummarySerializer(read_only=True)
    participants = serializers.SerializerMethodField()
    listener_count = serializers.IntegerField(read_only=True)
    speaker_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Room
        fields = [
            "id",
            "title",
            "description",
            "host",
            "state",
            "scheduled_for",
            "started_at",
            "ended_at",
            "created_at",
            "participants",
            "listener_count",
            "speaker_count",
        ]
        read_only_fields = fields

    @extend_schema_field(ParticipantSerializer(many=True))
    def get_participants(self, room: Room) -> list[dict]:
        # Rooms come from the selectors, which prefetch ``stage``: the serializer reads nothing.
        return ParticipantSerializer(room.stage, many=True, context=self.context).data


class RoomCreateSerializer(StrictSerializer):
    title = serializers.CharField(max_length=100, help_text="1 to 100 characters.")
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    scheduled_for = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the host plans to start it; in the future."
    )


class RoomUpdateSerializer(StrictSerializer):
    title = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    scheduled_for = serializers.DateTimeField(required=False, allow_null=True)


class RoomListQuerySerializer(StrictSerializer):
    state = serializers.ChoiceField(choices=RoomState.choices, required=False)


class SpeakerAddSerializer(StrictSerializer):
    role = serializers.ChoiceField(
        choices=[(Role.SPEAKER.value, "Speaker"), (Role.COHOST.value, "Co-host")],
        required=False,
        default=Role.SPEAKER.value,
        help_text="`speaker` (default) or `cohost` (the host only).",
    )


class IceServerSerializer(serializers.Serializer):
    urls = serializers.ListField(child=serializers.CharField())
    username = serializers.CharField(required=False)
    credential = serializers.CharField(required=False)


class IceServersSerializer(serializers.Serializer):
    ice_servers = IceServerSerializer(many=True)


class MediaSerializer(serializers.Serializer):
    """How a participant's client sends and receives the room's audio (docs/rooms.md, "Media
    server"). ``backend: p2p`` has only ``ice_servers`` (the signalling of the room socket);
    ``backend: janus`` has the rest, with ``room`` for the stage (AudioBridge) or ``mountpoint``
    for listeners (Streaming)."""

    backend = serializers.ChoiceField(choices=["janus", "p2p"])
    url = serializers.CharField(required=False, help_text="The Janus API URL (HTTP) the client talks to.")
    token = serializers.CharField(
        required=False,
        help_text="Short-lived Janus token for this user and room (ROOM_MEDIA_TOKEN_TTL_SECONDS): send it as "
        "`token` with every Janus request, and as the AudioBridge `join` token.",
    )
    plugin = serializers.ChoiceField(choices=["janus.plugin.audiobridge", "janus.plugin.streaming"], required=False)
    room = serializers.IntegerField(required=False, help_text="The AudioBridge room to join (stage members).")
    mountpoint = serializers.IntegerField(required=False, help_text="The Streaming mountpoint to watch (listeners).")
    pin = serializers.CharField(
        required=False,
        help_text="The mountpoint's pin (listeners): send it as `pin` with the Streaming `watch`. Random per "
        "room and replaced when the host removes someone: the room socket's `media_changed` (reason `pin`) "
        "brings the new one; a watch refused with 457 means fetch this object again.",
    )
    can_speak = serializers.BooleanField(required=False)
    ice_servers = IceServerSerializer(many=True)
