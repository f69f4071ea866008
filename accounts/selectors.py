"""Account reads."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from twitterclone.db import statement_cursor
from twitterclone.errors import NotFound

from .models import User


def user_get_visible(*, username: str, viewer=None) -> User:
    """The active user with this username (any case), as ``viewer`` may see them.

    Suspended or deactivated accounts are a 404 for everyone but themselves; so is an account
    that blocks the viewer (Twitter shows blocked users nothing of the blocker)."""
    from social.selectors import blocks, users_with_viewer_state

    if "\x00" in username:  # no username has one, and PostgreSQL refuses it in a query
        raise NotFound("No such user.")
    queryset = users_with_viewer_state(User.objects.by_username(username), viewer)
    user = queryset.first()
    is_self = viewer is not None and viewer.is_authenticated and user is not None and user.pk == viewer.pk
    if user is None or (not is_self and (not user.is_active or user.is_suspended)):
        raise NotFound("No such user.")
    if (
        viewer is not None
        and viewer.is_authenticated
        and not is_self
        and blocks(blocker_id=user.pk, blocked_id=viewer.pk)
    ):
        raise NotFound("No such user.")
    return user


def visible_user_id(*, username: str, viewer=None) -> int:
    """The id of the user ``user_get_visible`` gives (the same 404s: unknown, suspended or
    deactivated for anyone but themselves, blocking the viewer), for pages that need only the
    id: one constant statement, without the viewer-state annotations."""
    from social.models import Block

    if "\x00" in username:
        raise NotFound("No such user.")
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    with statement_cursor() as cursor:
        cursor.execute(
            f"SELECT u.id, u.is_active, u.is_suspended, EXISTS (SELECT 1 FROM {Block._meta.db_table} b "  # noqa: S608 - table names only
            f"WHERE b.blocker_id = u.id AND b.blocked_id = %(viewer)s) FROM {User._meta.db_table} u "
            "WHERE LOWER(u.username) = %(name)s ORDER BY u.id LIMIT 1",
            {"viewer": viewer_id, "name": username.lower()},
        )
        row = cursor.fetchone()
    if row is None:
        raise NotFound("No such user.")
    user_id, is_active, is_suspended, blocks_viewer = row
    if user_id != viewer_id and (not is_active or is_suspended or blocks_viewer):
        raise NotFound("No such user.")
    return user_id


def user_search(*, query: str, viewer=None) -> QuerySet[User]:
    """Active users whose username or display name starts with ``query`` (any case),
    minus users who block the viewer."""
    from social.models import Block
    from social.selectors import users_with_viewer_state

    query = query.strip().lstrip("@").lower()
    queryset = User.objects.active().filter(
        Q(username__lower__startswith=query) | Q(display_name__lower__startswith=query)
    )
    if viewer is not None and viewer.is_authenticated:
        queryset = queryset.exclude(pk__in=Block.objects.filter(blocked_id=viewer.pk).values("blocker_id"))
    return users_with_viewer_state(queryset, viewer)
