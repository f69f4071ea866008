"""The tweet admin: read-only pages with the thread, edit history and reports, and the
moderation actions hide, unhide and delete (each with a reason, through moderation.services).

Nobody edits or adds tweets here, and Django's own delete is off: deleting goes through
``tweets.services.tweet_delete`` so counters and retweets are handled as in the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.html import format_html

from moderation.admin_tools import (
    CappedCountPaginator,
    ViewOnlyAdmin,
    admin_link,
    confirm_with_reason,
    excerpt,
    join_html,
    open_reports_link,
    report_lines,
    with_open_report_counts,
)
from moderation.models import Report, ReportStatus

from .models import Hashtag, Tweet, TweetEdit

REPLIES_SHOWN = 20


class HasReportsFilter(admin.SimpleListFilter):
    title = "reports"
    parameter_name = "reports"

    def lookups(self, request, model_admin):
        return [("open", "Has open reports"), ("any", "Has reports"), ("none", "No reports")]

    def queryset(self, request, queryset):
        # Reports are few next to tweets: start from them (an index on the report side).
        reported = Report.objects.filter(target_tweet__isnull=False)
        if self.value() == "open":
            return queryset.filter(pk__in=reported.filter(status=ReportStatus.OPEN).values("target_tweet_id"))
        if self.value() == "any":
            return queryset.filter(pk__in=reported.values("target_tweet_id"))
        if self.value() == "none":
            return queryset.filter(~Exists(Report.objects.filter(target_tweet=OuterRef("pk"))))
        return queryset


class TweetEditInline(admin.TabularInline):
    model = TweetEdit
    fields = ["text", "created_at", "replaced_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "earlier version"
    verbose_name_plural = "edit history (earlier versions, oldest first)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tweet)
class TweetAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    # Tweets are written by their authors through the API only; deleting is an action below.
    list_display = [
        "id",
        "text_excerpt",
        "author_link",
        "created_at",
        "visibility",
        "is_hidden",
        "in_reply_to",
        "like_count",
        "retweet_count",
        "reply_count",
        "open_reports",
    ]
    list_display_links = ["id"]
    list_filter = [("created_at", admin.DateFieldListFilter), HasReportsFilter, "is_hidden", "visibility"]
    list_select_related = ["author"]
    search_fields = ["text", "=author__username"]
    search_help_text = "Words of the text, or an author's exact username."
    ordering = ["-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts would scan big tables
    paginator = CappedCountPaginator
    raw_id_fields = ["reply_to", "quote_of", "retweet_of"]
    autocomplete_fields = ["author"]
    inlines = [TweetEditInline]
    actions = ["hide_tweets", "unhide_tweets", "delete_tweets"]
    fieldsets = [
        (None, {"fields": ["author_link", "text", "visibility", "created_at", "edited_at"]}),
        ("Moderation", {"fields": ["is_hidden", "hidden_at", "open_reports", "reports"]}),
        ("Thread", {"fields": ["thread_root", "in_reply_to", "quoted", "retweeted", "replies"]}),
        ("Counts", {"fields": ["like_count", "retweet_count", "reply_count", "quote_count"]}),
    ]
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]]

    def get_queryset(self, request):
        return with_open_report_counts(super().get_queryset(request), "target_tweet")

    def lookup_allowed(self, lookup, value, request=None):
        if lookup in ("reply_to__id__exact", "conversation_id", "author__id__exact"):
            return True
        return super().lookup_allowed(lookup, value, request)

    # --- columns and fields ----------------------------------------------------------------------

    @admin.display(description="text")
    def text_excerpt(self, tweet: Tweet) -> str:
        if tweet.retweet_of_id:
            return f"(retweet of {tweet.retweet_of_id})"
        return excerpt(tweet.text, 100)

    @admin.display(description="author", ordering="author__username")
    def author_link(self, tweet: Tweet) -> Any:
        suffix = " [suspended]" if tweet.author.is_suspended else ""
        return format_html("{}{}", admin_link(tweet.author, f"@{tweet.author.username}"), suffix)

    def _tweet_link(self, tweet_id: int | None) -> Any:
        if tweet_id is None:
            return "-"
        url = reverse("admin:tweets_tweet_change", args=[tweet_id])
        exists = Tweet.objects.filter(pk=tweet_id).exists()
        return format_html('<a href="{}">Tweet {}</a>', url, tweet_id) if exists else f"Tweet {tweet_id} (deleted)"

    @admin.display(description="reply to")
    def in_reply_to(self, tweet: Tweet) -> Any:
        if tweet.reply_to_id is None:
            return "-"
        url = reverse("admin:tweets_tweet_change", args=[tweet.reply_to_id])
        return format_html('<a href="{}">{}</a>', url, tweet.reply_to_id)

    @admin.display(description="thread root")
    def thread_root(self, tweet: Tweet) -> Any:
        if not tweet.conversation_id or tweet.conversation_id == tweet.pk:
            return "-"
        url = reverse("admin:tweets_tweet_changelist") + f"?conversation_id={tweet.conversation_id}"
        return format_html('{} (<a href="{}">whole thread</a>)', self._tweet_link(tweet.conversation_id), url)

    @admin.display(description="quotes")
    def quoted(self, tweet: Tweet) -> Any:
        return self._tweet_link(tweet.quote_of_id)

    @admin.display(description="retweet of")
    def retweeted(self, tweet: Tweet) -> Any:
        return self._tweet_link(tweet.retweet_of_id)

    @admin.display(description="replies")
    def replies(self, tweet: Tweet) -> Any:
        replies = list(
            Tweet.objects.filter(reply_to_id=tweet.pk).select_related("author").order_by("id")[:REPLIES_SHOWN]
        )
        if not replies:
            return "-"
        rows = [
            format_html(
                "{} by @{}{}: {}",
                admin_link(reply, f"Tweet {reply.pk}"),
                reply.author.username,
                " [hidden]" if reply.is_hidden else "",
                excerpt(reply.text, 100),
            )
            for reply in replies
        ]
        url = reverse("admin:tweets_tweet_changelist") + f"?reply_to__id__exact={tweet.pk}"
        rows.append(format_html('<a href="{}">All replies</a>', url))
        return join_html(rows)

    @admin.display(description="open reports", ordering="open_report_count")
    def open_reports(self, tweet: Tweet) -> Any:
        return open_reports_link(tweet, "target_tweet")

    @admin.display(description="latest reports")
    def reports(self, tweet: Tweet) -> Any:
        return report_lines(tweet.reports.select_related("reporter").order_by("-id")[:10])

    # --- actions ---------------------------------------------------------------------------------

    def has_hide_permission(self, request) -> bool:
        return request.user.has_perm("moderation.hide_tweet")

    def has_remove_permission(self, request) -> bool:
        return request.user.has_perm("tweets.delete_tweet")

    @admin.action(description="Hide selected tweets…", permissions=["hide"])
    def hide_tweets(self, request, queryset):
        from moderation.services import tweet_hide

        return confirm_with_reason(
            self,
            request,
            queryset,
            action="hide_tweets",
            title="Hide tweets",
            verb="Hide",
            warning="Hidden tweets are gone from the API for everyone but their authors. Unhiding restores them.",
            apply=lambda tweet, reason: tweet_hide(tweet=tweet, moderator=request.user, reason=reason),
        )

    @admin.action(description="Unhide selected tweets…", permissions=["hide"])
    def unhide_tweets(self, request, queryset):
        from moderation.services import tweet_unhide

        return confirm_with_reason(
            self,
            request,
            queryset,
            action="unhide_tweets",
            title="Unhide tweets",
            verb="Unhide",
            apply=lambda tweet, reason: tweet_unhide(tweet=tweet, moderator=request.user, reason=reason),
        )

    @admin.action(description="Delete selected tweets…", permissions=["remove"])
    def delete_tweets(self, request, queryset):
        from moderation.services import tweet_remove

        def apply(tweet: Tweet, reason: str) -> bool:
            tweet_remove(tweet=tweet, moderator=request.user, reason=reason)
            return True

        return confirm_with_reason(
            self,
            request,
            queryset,
            action="delete_tweets",
            title="Delete tweets",
            verb="Delete",
            warning="Deleting cannot be undone (hiding can). The moderation log keeps the text.",
            apply=apply,
        )


@admin.register(Hashtag)
class HashtagAdmin(ViewOnlyAdmin, admin.ModelAdmin):
    """View only. A hashtag is what tweets' texts say (``tweets.services`` links them on post and
    edit): renaming or deleting one here would contradict the texts, and the cached hydration
    of the tweets (``tweets.hydration``, checked against the tweet row only) would keep showing
    the old name."""

    list_display = ["name"]
    search_fields = ["^name"]
    ordering = ["name"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts would scan big tables
    paginator = CappedCountPaginator
