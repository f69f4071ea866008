"""Reads the Mastodon shapes need beyond the other apps' selectors."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db import connection, router
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from tweets.models import Tweet
from twitterclone.db import statement_cursor

logger = logging.getLogger("twitterclone.mastodon")
STATS_CACHE_SECONDS = 300


# What an Account shows of a user (``presenters.account``), in the model's field order.
ACCOUNT_COLUMNS = tuple(
    field.attname
    for field in User._meta.concrete_fields
    if field.attname
    in {"id", "username", "display_name", "avatar", "bio", "website", "location", "date_joined"}
    | {"followers_count", "following_count", "tweets_count"}
)


def _ids_match(ids: list[int]) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [ids]
    return f"IN ({', '.join(['%s'] * len(ids))})", ids


def tweet_authors(ids: Iterable[int]) -> dict[int, int]:
    """The author id of each of these tweets that exists (one constant statement): the parents'
    authors of a page's replies (``in_reply_to_account_id``)."""
    ids = sorted({int(pk) for pk in ids})
    if not ids:
        return {}
    match, params = _ids_match(ids)
    with statement_cursor() as cursor:
        cursor.execute(f"SELECT id, author_id FROM {Tweet._meta.db_table} WHERE id {match}", params)  # noqa: S608
        return dict(cursor.fetchall())


def account_users(ids: Iterable[int]) -> dict[int, User]:
    """The users with these ids, with what their Account shows loaded (one constant statement):
    for authors that came with a summary only (``tweets.visibility`` rows)."""
    ids = sorted({int(pk) for pk in ids})
    if not ids:
        return {}
    match, params = _ids_match(ids)
    columns = ", ".join(ACCOUNT_COLUMNS)
    with statement_cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {User._meta.db_table} WHERE id {match}", params)  # noqa: S608
        rows = cursor.fetchall()
    joined = ACCOUNT_COLUMNS.index("date_joined")
    users = {}
    for row in rows:
        values = list(row)
        if not isinstance(values[joined], datetime):  # SQLite's raw cursor gives text
            values[joined] = timezone.make_aware(parse_datetime(values[joined]), UTC)
        users[values[0]] = User.from_db(router.db_for_read(User), ACCOUNT_COLUMNS, values)
    return users


def last_status_at_for(*, user: User) -> datetime | None:
    """When ``user`` last posted (their latest tweet not hidden by moderators), or None."""
    return (
        Tweet.objects.filter(author=user, is_hidden=False).order_by("-id").values_list("created_at", flat=True).first()
    )


def instance_stats() -> dict[str, int]:
    """Counts for the instance and nodeinfo documents: visible users, those who logged in within
    30 and 180 days, and posts (not retweets, not hidden). Cached for five minutes: clients ask for
    the instance often, and counting a large tweets table is not free."""
    try:
        cached = cache.get("mastodon:instance_stats")
    except Exception:  # the cache (Redis) is down: count anyway
        logger.warning("cache unavailable for instance stats", exc_info=True)
        cached = None
    if cached is not None:
        return cached
    stats = _count_stats()
    try:
        cache.set("mastodon:instance_stats", stats, STATS_CACHE_SECONDS)
    except Exception:
        logger.warning("cache unavailable for instance stats", exc_info=True)
    return stats


def _count_stats() -> dict[str, int]:
    now = timezone.now()
    users = User.objects.active().aggregate(
        total=Count("pk"),
        month=Count("pk", filter=Q(last_login__gte=now - timedelta(days=30))),
        halfyear=Count("pk", filter=Q(last_login__gte=now - timedelta(days=180))),
    )
    posts = Tweet.objects.filter(is_hidden=False, retweet_of__isnull=True).count()
    return {
        "users": users["total"],
        "active_month": users["month"],
        "active_halfyear": users["halfyear"],
        "posts": posts,
    }


def account_get_visible(*, account_id: str | int, viewer) -> User:
    """The account with this id as ``viewer`` may see it: ``accounts.selectors.user_get_visible``
    (the one rule for who can be seen), looked up by id. NotFound otherwise."""
    from accounts.selectors import user_get_visible
    from twitterclone.errors import NotFound

    from .ids import parse_id

    account_id = parse_id(account_id)  # strictly: int() would also take "+1", " 5" and "\u0665"
    if account_id is None:
        raise NotFound("Record not found")
    username = User.objects.filter(pk=account_id).values_list("username", flat=True).first()
    if username is None:
        raise NotFound("Record not found")
    return user_get_visible(username=username, viewer=viewer)


def relationships_for(*, viewer: User, ids: list[int]) -> list[User]:
    """The users among ``ids`` (in that order) with the viewer's relationship to each:
    ``social.selectors.users_with_viewer_state`` plus whether they block the viewer."""
    from django.db.models import Exists, OuterRef

    from social.models import Block
    from social.selectors import users_with_viewer_state

    queryset = users_with_viewer_state(User.objects.filter(pk__in=ids), viewer).annotate(
        viewer_blocked_by=Exists(Block.objects.filter(blocker_id=OuterRef("pk"), blocked_id=viewer.pk))
    )
    found = {user.pk: user for user in queryset}
    return [found[pk] for pk in ids if pk in found]


def markers_for(*, user: User, timelines: list[str]) -> list:
    """The user's saved reading positions in these timelines (those saved at all)."""
    from .models import Marker

    return list(Marker.objects.filter(user=user, timeline__in=timelines).order_by("timeline"))
