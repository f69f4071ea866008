"""The user admin, as superusers and moderators (staff in the ``moderators`` group) use it.

Moderators find users, see their counts, reports and moderation history, suspend and unsuspend
them (with a reason, on a confirmation page) and may clear abusive profile text. Everything that
grants power (staff, superuser, groups, permissions, password, email, username, active) is
read-only for anyone who is not a superuser, and staff accounts cannot be changed by them at all.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.html import format_html

from moderation.admin_tools import (
    CappedCountPaginator,
    confirm_with_reason,
    excerpt,
    join_html,
    open_reports_link,
    report_lines,
    with_open_report_counts,
)
from moderation.models import ModerationAction, Report
from moderation.services import MODERATOR_EDITABLE_PROFILE_FIELDS
from twitterclone.errors import InvalidInput

from .models import User

logger = logging.getLogger("twitterclone.accounts")

# Always read-only in the admin: suspension goes through the suspend/unsuspend actions (which
# revoke tokens, close sockets and log), and the counters belong to the social and tweets services.
ALWAYS_READ_ONLY = (
    "followers_count",
    "following_count",
    "tweets_count",
    "last_login",
    "date_joined",
    "is_suspended",
    "suspended_at",
    "suspension_reason",
    "open_reports",
    "recent_reports",
    "moderation_history",
)


class ModeratedUserChangeForm(UserChangeForm):
    moderation_reason = forms.CharField(
        label="Reason for this change",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="Recorded in the moderation log with the changed fields.",
    )
    require_reason = False

    def clean(self):
        cleaned = super().clean()
        changed = [name for name in self.changed_data if name != "moderation_reason"]
        if self.require_reason and changed and not (cleaned.get("moderation_reason") or "").strip():
            self.add_error("moderation_reason", "Say why you change this profile.")
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = ModeratedUserChangeForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = [
        "username",
        "email",
        "display_name",
        "is_active",
        "is_suspended",
        "is_staff",
        "followers_count",
        "following_count",
        "tweets_count",
        "open_reports",
        "date_joined",
    ]
    list_filter = ["is_active", "is_suspended", "is_staff", "is_superuser", "date_joined"]
    search_fields = ["username", "email", "display_name"]
    ordering = ["-id"]  # newest first, like -date_joined, but on the primary key's index
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Profile", {"fields": ["email", "display_name", "bio", "location", "website", "avatar"]}),
        ("Counts", {"fields": ["followers_count", "following_count", "tweets_count"]}),
        ("Status", {"fields": ["is_active", "is_suspended", "suspended_at", "suspension_reason"]}),
        ("Moderation", {"fields": ["open_reports", "recent_reports", "moderation_history", "moderation_reason"]}),
        ("Permissions", {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    actions = ["suspend_users", "unsuspend_users", "deactivate_users"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts would scan big tables
    paginator = CappedCountPaginator

    def get_queryset(self, request):
        return with_open_report_counts(super().get_queryset(request), "target_user")

    # --- who may change what ---------------------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        # Staff accounts (other moderators, superusers, oneself) are the superusers' business.
        return not (obj is not None and (obj.is_staff or obj.is_superuser) and not request.user.is_superuser)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ALWAYS_READ_ONLY
        editable = set(MODERATOR_EDITABLE_PROFILE_FIELDS) | {"moderation_reason"}
        names = {name for _, options in self.get_fieldsets(request, obj) for name in options["fields"]}
        return tuple(sorted(names - editable)) + tuple(n for n in ALWAYS_READ_ONLY if n not in names)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)  # the add form (superusers only)
        fieldsets = list(self.fieldsets)
        if not request.user.is_superuser:
            # No password hash and no link to the password form for non-superusers.
            fieldsets[0] = (None, {"fields": ["username"]})
        if not self.has_change_permission(request, obj):
            fieldsets = [
                (title, {"fields": [f for f in options["fields"] if f != "moderation_reason"]})
                for title, options in fieldsets
            ]
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            form.require_reason = not request.user.is_superuser
        return form

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def save_model(self, request, obj, form, change):
        from moderation.services import user_profile_edit_record

        changes: dict[str, tuple[Any, Any]] = {}
        if change:
            for name in form.changed_data:
                if name in ("moderation_reason", "password"):
                    continue
                changes[name] = (form.initial.get(name, ""), form.cleaned_data.get(name, ""))
        super().save_model(request, obj, form, change)
        if changes:
            user_profile_edit_record(
                user=obj, moderator=request.user, changes=changes, reason=form.cleaned_data.get("moderation_reason", "")
            )

    # --- columns and read-only fields -----------------------------------------------------------

    @admin.display(description="open reports", ordering="open_report_count")
    def open_reports(self, user: User) -> Any:
        return open_reports_link(user, "target_user")

    @admin.display(description="latest reports about this user")
    def recent_reports(self, user: User) -> Any:
        return report_lines(Report.objects.filter(target_user=user).select_related("reporter").order_by("-id")[:10])

    @admin.display(description="moderation history")
    def moderation_history(self, user: User) -> Any:
        entries = list(ModerationAction.objects.filter(subject_user=user).order_by("-id")[:20])
        if not entries:
            return "-"
        return join_html(
            format_html(
                "{} {} by {}: {}",
                f"{entry.created_at:%Y-%m-%d %H:%M}",
                entry.get_action_display(),
                entry.moderator_username,
                excerpt(entry.reason, 120),
            )
            for entry in entries
        )

    # --- actions ---------------------------------------------------------------------------------

    def has_suspend_permission(self, request) -> bool:
        return request.user.has_perm("moderation.suspend_user")

    @admin.action(description="Suspend selected users…", permissions=["suspend"])
    def suspend_users(self, request, queryset):
        from moderation.services import user_suspend

        return confirm_with_reason(
            self,
            request,
            queryset,
            action="suspend_users",
            title="Suspend users",
            verb="Suspend",
            warning="They will be logged out everywhere at once and their tweets hidden from everyone "
            "until they are unsuspended. Nothing is deleted.",
            apply=lambda user, reason: user_suspend(user=user, moderator=request.user, reason=reason),
        )

    def has_deactivate_permission(self, request) -> bool:
        return request.user.is_superuser  # "active" is the superusers' business (read-only otherwise)

    @admin.action(description="Deactivate selected users…", permissions=["deactivate"])
    def deactivate_users(self, request, queryset):
        from .services import users_deactivate

        def apply(user: User, reason: str) -> bool:
            if user.pk == request.user.pk:
                raise InvalidInput("You cannot deactivate yourself.")
            done = users_deactivate(users=User.objects.filter(pk=user.pk)) == 1
            if done:
                logger.info("user %s deactivated by %s: %s", user.pk, request.user.pk, reason)
            return done

        return confirm_with_reason(
            self,
            request,
            queryset,
            action="deactivate_users",
            title="Deactivate users",
            verb="Deactivate",
            warning="They will be logged out everywhere at once and cannot log in until reactivated.",
            apply=apply,
        )

    @admin.action(description="Unsuspend selected users…", permissions=["suspend"])
    def unsuspend_users(self, request, queryset):
        from moderation.services import user_unsuspend

        return confirm_with_reason(
            self,
            request,
            queryset,
            action="unsuspend_users",
            title="Unsuspend users",
            verb="Unsuspend",
            apply=lambda user, reason: user_unsuspend(user=user, moderator=request.user, reason=reason),
        )
