from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from PIL import Image
from rest_framework import serializers

from twitterclone.errors import PayloadTooLarge
from twitterclone.serializers import StrictModelSerializer, StrictSerializer

from .models import USERNAME_PATTERN, User

ALLOWED_AVATAR_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def absolute_media_url(request, file_field) -> str | None:
    if not file_field:
        return None
    url = file_field.url
    return request.build_absolute_uri(url) if request is not None else url


class UserSummarySerializer(serializers.ModelSerializer):
    """The short form of a user embedded in tweets, notifications and rooms."""

    avatar_url = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "avatar_url"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_avatar_url(self, user: User) -> str | None:
        return absolute_media_url(self.context.get("request"), user.avatar)


VIEWER_FIELDS = ("following", "followed_by", "blocking", "muting")


class PublicProfileSerializer(UserSummarySerializer):
    """A public profile. ``following``, ``followed_by``, ``blocking`` and ``muting`` are there for an
    authenticated viewer only; they come from ``social.selectors.users_with_viewer_state``
    annotations when the queryset has them, else from one query per profile."""

    created_at = serializers.DateTimeField(source="date_joined", read_only=True)
    website = serializers.CharField(read_only=True, help_text="A URL, or an empty string.")
    following = serializers.SerializerMethodField()
    followed_by = serializers.SerializerMethodField()
    blocking = serializers.SerializerMethodField()
    muting = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "bio",
            "location",
            "website",
            "avatar_url",
            "created_at",
            "followers_count",
            "following_count",
            "tweets_count",
            *VIEWER_FIELDS,
        ]
        read_only_fields = fields

    def _viewer(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None

    def _state(self, user: User, name: str) -> bool | None:
        if self._viewer() is None:
            return None
        annotated = getattr(user, f"viewer_{name}", None)
        if annotated is not None:
            return bool(annotated)
        from social import selectors

        viewer = self._viewer()
        checks = {
            "following": lambda: selectors.follows(follower_id=viewer.pk, followee_id=user.pk),
            "followed_by": lambda: selectors.follows(follower_id=user.pk, followee_id=viewer.pk),
            "blocking": lambda: selectors.blocks(blocker_id=viewer.pk, blocked_id=user.pk),
            "muting": lambda: selectors.mutes(muter_id=viewer.pk, muted_id=user.pk),
        }
        return checks[name]()

    @extend_schema_field(serializers.BooleanField(required=False))
    def get_following(self, user: User) -> bool | None:
        return self._state(user, "following")

    @extend_schema_field(serializers.BooleanField(required=False))
    def get_followed_by(self, user: User) -> bool | None:
        return self._state(user, "followed_by")

    @extend_schema_field(serializers.BooleanField(required=False))
    def get_blocking(self, user: User) -> bool | None:
        return self._state(user, "blocking")

    @extend_schema_field(serializers.BooleanField(required=False))
    def get_muting(self, user: User) -> bool | None:
        return self._state(user, "muting")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self._viewer() is None:
            for name in VIEWER_FIELDS:
                data.pop(name, None)
        return data


class PrivateProfileSerializer(PublicProfileSerializer):
    """The signed-in user's own profile, with the email."""

    class Meta(PublicProfileSerializer.Meta):
        fields = [f for f in PublicProfileSerializer.Meta.fields if f not in VIEWER_FIELDS] + ["email"]
        read_only_fields = fields


class ProfileUpdateSerializer(StrictModelSerializer):
    avatar = serializers.ImageField(required=False, allow_null=True)

    class Meta:
        model = User
        fields = ["display_name", "bio", "location", "website", "avatar"]

    def validate_avatar(self, value):
        if value is None:
            return value
        if value.size > settings.AVATAR_MAX_BYTES:
            raise PayloadTooLarge(f"Avatars are limited to {settings.AVATAR_MAX_BYTES // 1024} KiB.")
        image = getattr(value, "image", None)
        image_format = getattr(image, "format", None)
        if image_format is None:
            try:
                value.seek(0)
                with Image.open(value) as opened:
                    image_format = opened.format
                value.seek(0)
            except Exception as exc:
                raise serializers.ValidationError("Upload a valid image.") from exc
        if image_format not in ALLOWED_AVATAR_FORMATS:
            raise serializers.ValidationError("Avatars must be JPEG, PNG, GIF or WebP images.")
        width, height = getattr(image, "size", (0, 0))
        if width > 4096 or height > 4096:
            raise serializers.ValidationError("Avatars are limited to 4096x4096 pixels.")
        return value


@extend_schema_field({"type": "string", "nullable": True, "enum": [None], "description": "null removes the avatar."})
class _NullOnlyField(serializers.Field):
    """Documents the JSON body's ``avatar``: only null (an upload needs multipart)."""


class ProfileUpdateJSONSerializer(ProfileUpdateSerializer):
    """Profile fields to change; `avatar: null` removes the avatar (upload one with multipart)."""

    avatar = _NullOnlyField(required=False)


class RegisterSerializer(StrictSerializer):
    username = serializers.RegexField(
        USERNAME_PATTERN,
        max_length=30,
        error_messages={"invalid": "Usernames are 1 to 30 letters, digits or underscores."},
    )
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    display_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class LoginSerializer(StrictSerializer):
    login = serializers.CharField(max_length=254, help_text="Username or email.")
    password = serializers.CharField(write_only=True, max_length=128)


class AuthResultSerializer(serializers.Serializer):
    user = PrivateProfileSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshSerializer(StrictSerializer):
    refresh = serializers.CharField(max_length=2048)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class PasswordChangeSerializer(StrictSerializer):
    old_password = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128)


class PasswordResetSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    code = serializers.CharField(max_length=6, min_length=6)
    new_password = serializers.CharField(max_length=128)
