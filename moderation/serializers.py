from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from twitterclone.serializers import StrictSerializer

from .models import Report, ReportCategory, TargetType

MAX_ID = 2**63 - 1


class ReportCreateSerializer(StrictSerializer):
    """Exactly one of ``tweet`` (id), ``user`` (username) or ``room`` (id) names the target."""

    openapi_request_extra = {"oneOf": [{"required": [name]} for name in ("tweet", "user", "room")]}

    tweet = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Id of a tweet.")
    user = serializers.CharField(required=False, max_length=30, help_text="Username of an account.")
    room = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Id of an audio room.")
    category = serializers.ChoiceField(choices=ReportCategory.choices, default=ReportCategory.OTHER)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")

    def validate(self, attrs):
        given = [name for name in TargetType.values if attrs.get(name) not in (None, "")]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"non_field_errors": ["Give exactly one target: tweet (id), user (username) or room (id)."]}
            )
        attrs["target_type"] = given[0]
        attrs["target"] = attrs.pop(given[0])
        for name in TargetType.values:
            attrs.pop(name, None)
        return attrs


class ReportSerializer(serializers.ModelSerializer):
    """A report as its reporter sees it. The target is in the same shape as the request: one of
    ``tweet``, ``user``, ``room`` is set (``tweet`` and ``room`` keep their id after deletion)."""

    tweet = serializers.SerializerMethodField()
    user = serializers.SerializerMethodField()
    room = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "target_type",
            "tweet",
            "user",
            "room",
            "category",
            "comment",
            "status",
            "created_at",
            "resolved_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_tweet(self, report: Report) -> int | None:
        return report.target_object_id if report.target_type == TargetType.TWEET else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_user(self, report: Report) -> str | None:
        if report.target_type != TargetType.USER or report.target_user is None:
            return None
        return report.target_user.username

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_room(self, report: Report) -> int | None:
        return report.target_object_id if report.target_type == TargetType.ROOM else None
