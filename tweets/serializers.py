"""Tweet shapes of the API contract.

``TweetSerializer`` is the one tweet shape every app embeds. It renders tweets that went
through ``tweets.selectors.tweets_for_display(tweets, viewer)`` and runs no query itself: a
tweet without its display data is a programming error (``MissingDisplayData``), never a
silent query per tweet. The dicts are built by ``tweets.rendering`` (which views may call
directly for lists: ``render_tweets``); DRF's fields here are the schema and the reference.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserSummarySerializer
from twitterclone.converters import BIGINT_MAX
from twitterclone.serializers import StrictSerializer

from . import rendering
from .models import Tweet, Visibility, viewer_id_of
from .rendering import MissingDisplayData, RenderState
from .text import MAX_TWEET_LENGTH

__all__ = ["MissingDisplayData"]  # re-exported: other apps catch it from here

VIEWER_FIELDS = ("liked", "retweeted", "bookmarked")


@extend_schema_field(
    serializers.BooleanField(help_text="Only for an authenticated viewer: absent for anonymous requests.")
)
class ViewerStateField(serializers.Field):
    """``liked`` / ``retweeted`` / ``bookmarked`` for the requesting user. Output only; not
    read-only in the schema so that it is not listed as required (anonymous responses omit it)."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", required=False)
        super().__init__(**kwargs)

    def to_representation(self, tweet: Tweet) -> bool | None:
        return self.parent._state(tweet, self.field_name)

    def to_internal_value(self, data):
        raise serializers.ValidationError("Read-only.")


def _display(tweet: Tweet, attr: str):
    try:
        return getattr(tweet, attr)
    except AttributeError:
        raise MissingDisplayData(
            f"tweet {tweet.pk} has no {attr}: pass it through tweets.selectors.tweets_for_display first"
        ) from None


class MentionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class BaseTweetSerializer(serializers.ModelSerializer):
    """Fields shared by a tweet and the tweets embedded in it."""

    author = UserSummarySerializer(read_only=True)
    hashtags = serializers.SerializerMethodField()
    mentions = serializers.SerializerMethodField()
    hidden = serializers.BooleanField(
        source="is_hidden", read_only=True, help_text="True only for the author of a tweet hidden by moderation."
    )
    liked = ViewerStateField()
    retweeted = ViewerStateField()
    bookmarked = ViewerStateField()

    class Meta:
        model = Tweet
        fields = [
            "id",
            "text",
            "visibility",
            "author",
            "created_at",
            "edited_at",
            "reply_to",
            "conversation_id",
            "like_count",
            "retweet_count",
            "reply_count",
            "quote_count",
            "hashtags",
            "mentions",
            "hidden",
            *VIEWER_FIELDS,
        ]
        read_only_fields = fields
        extra_kwargs = {"reply_to": {"help_text": "Id of the tweet this replies to (it may since be deleted)."}}

    def _viewer(self):
        request = self.context.get("request")
        return getattr(request, "user", None) if request is not None else None

    def _viewer_id(self) -> int | None:
        return viewer_id_of(self._viewer())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_hashtags(self, tweet: Tweet) -> list[str]:
        return _display(tweet, "display_hashtags")

    @extend_schema_field(MentionSerializer(many=True))
    def get_mentions(self, tweet: Tweet) -> list[dict]:
        return _display(tweet, "display_mentions")

    def _state(self, tweet: Tweet, name: str) -> bool | None:
        if self._viewer_id() is None:
            return None
        return bool(_display(tweet, f"viewer_{name}"))

    def _visible_reference(self, tweet: Tweet, attr: str, field: str) -> Tweet | None:
        """The quoted or retweeted tweet if the viewer may see it (loaded by ``tweets_for_display``)."""
        if getattr(tweet, f"{field}_id") is None:
            return None
        return _display(tweet, attr)

    # How ``tweets.rendering.render`` renders this serializer's tweets (and the ones they embed).
    render_level = rendering.EMBEDDED

    def generic_representation(self, instance) -> dict:
        """DRF's field-by-field rendering: the reference ``to_representation`` must match
        (a test compares them), kept for that purpose."""
        data = super().to_representation(instance)
        if self._viewer_id() is None:
            for name in VIEWER_FIELDS:
                data.pop(name, None)
        return dict(data)

    def to_representation(self, instance) -> dict:
        """The same dict as ``generic_representation``, built directly: DRF's generic path
        costs about ten times more per tweet, and timelines render many tweets (and the tweets
        they embed) per request."""
        return rendering.render(instance, _render_state(self), self.render_level)


def _render_state(serializer: serializers.BaseSerializer) -> RenderState:
    # One per response (the serializer context lives that long), kept on the serializer too:
    # DRF's ``context`` walks up to the root serializer per access.
    state = serializer.__dict__.get("_tweet_render_state")
    if state is None:
        context = serializer.context
        state = context.get("_tweet_render_state")
        if state is None:
            state = context["_tweet_render_state"] = RenderState(context.get("request"))
        serializer.__dict__["_tweet_render_state"] = state
    return state


class EmbeddedTweetSerializer(BaseTweetSerializer):
    """A quoted tweet embedded in its quote (or in a retweeted quote): the references it
    makes itself are given as ids only (``quote_of_id``, ``retweet_of_id``)."""

    class Meta(BaseTweetSerializer.Meta):
        fields = [*BaseTweetSerializer.Meta.fields, "quote_of_id", "retweet_of_id"]
        read_only_fields = fields


class ReferencedTweetSerializer(BaseTweetSerializer):
    """A retweeted tweet embedded in its retweet: like a tweet, with its own quoted tweet
    embedded one more level (as ``EmbeddedTweetSerializer``). ``retweet_of`` is always null
    here: retweeting a retweet retweets its original."""

    quote_of = serializers.SerializerMethodField()
    retweet_of = serializers.SerializerMethodField()
    render_level = rendering.REFERENCED

    class Meta(BaseTweetSerializer.Meta):
        fields = [*BaseTweetSerializer.Meta.fields, "quote_of", "retweet_of"]
        read_only_fields = fields

    @extend_schema_field(EmbeddedTweetSerializer(allow_null=True))
    def get_quote_of(self, tweet: Tweet) -> dict | None:
        quoted = self._visible_reference(tweet, "display_quote_of", "quote_of")
        return EmbeddedTweetSerializer(quoted, context=self.context).data if quoted is not None else None

    @extend_schema_field(EmbeddedTweetSerializer(allow_null=True))
    def get_retweet_of(self, tweet: Tweet) -> dict | None:
        original = self._visible_reference(tweet, "display_retweet_of", "retweet_of")
        return EmbeddedTweetSerializer(original, context=self.context).data if original is not None else None


class TweetSerializer(ReferencedTweetSerializer):
    """The contract's tweet: id, text, visibility, author, created_at, edited_at, reply_to,
    quote_of (the quoted tweet, its own references as ids; null also when it is deleted or
    invisible to the viewer), retweet_of (the original tweet, with the tweet it quotes, or
    null), the four counts, hashtags, mentions, and for an authenticated viewer liked,
    retweeted, bookmarked. ``hidden`` is true only for the author of a tweet hidden by
    moderation (nobody else receives it)."""

    render_level = rendering.TWEET

    @extend_schema_field(ReferencedTweetSerializer(allow_null=True))
    def get_retweet_of(self, tweet: Tweet) -> dict | None:
        original = self._visible_reference(tweet, "display_retweet_of", "retweet_of")
        return ReferencedTweetSerializer(original, context=self.context).data if original is not None else None


def _tweet_text_field() -> serializers.CharField:
    # 1 to 280 code points, and not only whitespace (the service trims and checks again).
    return serializers.CharField(
        max_length=MAX_TWEET_LENGTH, help_text="1 to 280 characters (Unicode code points), not only whitespace."
    )


class TweetCreateSerializer(StrictSerializer):
    text = _tweet_text_field()
    reply_to = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=BIGINT_MAX)
    quote_of = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=BIGINT_MAX)
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PUBLIC)


class TweetUpdateSerializer(StrictSerializer):
    text = _tweet_text_field()


class TrendSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The hashtag, lower-case, without '#'.")
    tweet_count = serializers.IntegerField(help_text="Tweets using it in the period.")


class TrendsSerializer(serializers.Serializer):
    hours = serializers.IntegerField()
    trends = TrendSerializer(many=True)


class TweetContextSerializer(serializers.Serializer):
    ancestors = TweetSerializer(many=True)
    descendants = TweetSerializer(many=True)
