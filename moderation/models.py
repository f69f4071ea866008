"""Reports from users and the moderators' append-only action log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class TargetType(models.TextChoices):
    TWEET = "tweet", "Tweet"
    USER = "user", "User"
    ROOM = "room", "Room"


class ReportCategory(models.TextChoices):
    """Mastodon's report categories."""

    SPAM = "spam", "Spam"
    ABUSE = "abuse", "Abuse or harassment"
    ILLEGAL = "illegal", "Illegal content"
    OTHER = "other", "Other"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class ActionType(models.TextChoices):
    SUSPEND_USER = "suspend_user", "Suspend user"
    UNSUSPEND_USER = "unsuspend_user", "Unsuspend user"
    EDIT_USER = "edit_user", "Edit user profile"
    HIDE_TWEET = "hide_tweet", "Hide tweet"
    UNHIDE_TWEET = "unhide_tweet", "Unhide tweet"
    DELETE_TWEET = "delete_tweet", "Delete tweet"
    END_ROOM = "end_room", "End room"
    DISMISS_REPORT = "dismiss_report", "Dismiss report"


class ReportQuerySet(models.QuerySet):
    def open(self) -> ReportQuerySet:
        return self.filter(status=ReportStatus.OPEN)

    def about_user_or_their_content(self, user_id: int) -> ReportQuerySet:
        """Reports on the user, on one of their tweets or on a room they host."""
        return self.filter(
            Q(target_user_id=user_id) | Q(target_tweet__author_id=user_id) | Q(target_room__host_id=user_id)
        )


class Report(models.Model):
    """A user's report of a tweet, a user or a room.

    ``target_type`` and ``target_object_id`` name the target for good; the foreign key of that
    type points at it while it exists (it is set to NULL when a tweet or room is deleted, so the
    report and its resolution survive) and the others are always NULL. ``target_snapshot`` keeps
    what the reporter saw (the tweet's text, the profile, the room title), since tweets can be
    edited or deleted afterwards.
    """

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_filed")
    target_type = models.CharField(max_length=10, choices=TargetType.choices)
    target_object_id = models.BigIntegerField(help_text="Id of the reported tweet, user or room.")
    target_tweet = models.ForeignKey(
        "tweets.Tweet", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_received"
    )
    target_room = models.ForeignKey(
        "rooms.Room", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    target_snapshot = models.TextField(blank=True, help_text="The reported content as it was when reported.")
    category = models.CharField(max_length=10, choices=ReportCategory.choices, default=ReportCategory.OTHER)
    comment = models.TextField(blank=True, max_length=1000)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_resolved"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.CharField(max_length=20, choices=ActionType.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        target_type=TargetType.TWEET,
                        target_user__isnull=True,
                        target_room__isnull=True,
                    )
                    & (Q(target_tweet__isnull=True) | Q(target_tweet=F("target_object_id")))
                )
                | (
                    Q(target_type=TargetType.USER, target_tweet__isnull=True, target_room__isnull=True)
                    & (Q(target_user__isnull=True) | Q(target_user=F("target_object_id")))
                )
                | (
                    Q(target_type=TargetType.ROOM, target_tweet__isnull=True, target_user__isnull=True)
                    & (Q(target_room__isnull=True) | Q(target_room=F("target_object_id")))
                ),
                name="moderation_report_one_target",
            ),
            models.CheckConstraint(
                condition=Q(status=ReportStatus.OPEN, resolved_at__isnull=True)
                | Q(status=ReportStatus.RESOLVED, resolved_at__isnull=False),
                name="moderation_report_resolved_at_iff_resolved",
            ),
            # One open report per reporter and target; a new one may follow once it is resolved.
            models.UniqueConstraint(
                fields=["reporter", "target_type", "target_object_id"],
                condition=Q(status=ReportStatus.OPEN),
                name="moderation_report_one_open_per_target",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="moderation_report_queue"),
            models.Index(fields=["reporter", "-id"], name="moderation_report_reporter"),
            models.Index(fields=["target_type", "target_object_id"], name="moderation_report_target"),
        ]

    def __str__(self) -> str:
        return f"Report #{self.pk} ({self.get_category_display()}) on {self.target_type} {self.target_object_id}"


class AppendOnlyError(Exception):
    """Raised on an attempt to change or delete a moderation log entry."""


class ModerationAction(models.Model):
    """One moderator action: who did what to which target, when and why.

    Append-only: ``save`` refuses to update an existing entry and ``delete`` refuses outright; the
    admin offers neither change nor delete. The moderator and the user concerned are kept as
    foreign keys (NULL if the account is ever deleted) and as text in ``target_repr``.
    """

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="moderation_actions"
    )
    moderator_username = models.CharField(max_length=150)
    action = models.CharField(max_length=20, choices=ActionType.choices)
    target_type = models.CharField(max_length=10, choices=TargetType.choices)
    target_object_id = models.BigIntegerField()
    target_repr = models.TextField(help_text="The target as it was when acted on.")
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_history",
        help_text="The user concerned: the user acted on, or the author or host of the content.",
    )
    report = models.ForeignKey(
        Report,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
        help_text="The report this action resolved, if it came from the queue.",
    )
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("suspend_user", "Can suspend and unsuspend users"),
            ("hide_tweet", "Can hide and unhide tweets"),
        ]
        indexes = [models.Index(fields=["subject_user", "-id"], name="moderation_action_subject")]

    def __str__(self) -> str:
        return f"{self.moderator_username}: {self.get_action_display()} {self.target_type} {self.target_object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("Moderation log entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Moderation log entries cannot be deleted.")
