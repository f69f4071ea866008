"""The ``moderators`` group: staff who run the network from the admin, without being superusers.

Its permissions are defined here, in code, and set exactly (extra ones are removed) after every
``migrate`` and by ``manage.py create_moderator``. None of them lets a moderator add or delete
users, change groups or permissions, or edit tweets; the user admin additionally makes staff,
superuser, group and permission fields read-only for anyone who is not a superuser.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

MODERATORS_GROUP = "moderators"

# (app_label, codename): exactly what the admin pages and the moderation services need.
MODERATOR_PERMISSIONS: tuple[tuple[str, str], ...] = (
    # Users: the list and profile pages; change is for clearing abusive profile text (the
    # admin lets moderators edit only display name, bio, location, website and avatar).
    ("accounts", "view_user"),
    ("accounts", "change_user"),
    ("moderation", "suspend_user"),
    # Tweets: read-only pages with thread and edit history; hide/unhide; delete through
    # tweets.services.tweet_delete, which accepts holders of tweets.delete_tweet.
    ("tweets", "view_tweet"),
    ("tweets", "view_tweetedit"),
    ("tweets", "delete_tweet"),
    ("moderation", "hide_tweet"),
    # Rooms: rooms.services.room_end accepts holders of rooms.change_room; the room admin
    # shows every field read-only to non-superusers.
    ("rooms", "view_room"),
    ("rooms", "change_room"),
    ("rooms", "view_participant"),
    # The report queue (resolving a report is a change) and the action log (view only).
    ("moderation", "view_report"),
    ("moderation", "change_report"),
    ("moderation", "view_moderationaction"),
)


def moderator_permissions() -> list[Permission]:
    """The Permission rows of MODERATOR_PERMISSIONS; raises if any is missing (not yet migrated)."""
    query = Q(pk__in=[])
    for app_label, codename in MODERATOR_PERMISSIONS:
        query |= Q(content_type__app_label=app_label, codename=codename)
    permissions = list(Permission.objects.filter(query).select_related("content_type"))
    found = {(p.content_type.app_label, p.codename) for p in permissions}
    missing = sorted(set(MODERATOR_PERMISSIONS) - found)
    if missing:
        raise LookupError(f"permissions not found (run migrate): {missing}")
    return permissions


def ensure_moderators_group() -> Group:
    """Creates the ``moderators`` group if needed and sets its permissions to exactly
    MODERATOR_PERMISSIONS. Idempotent."""
    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
        group.permissions.set(moderator_permissions())
    return group


def is_moderator(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff and user.groups.filter(name=MODERATORS_GROUP).exists())
