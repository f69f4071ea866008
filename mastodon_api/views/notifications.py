"""Mastodon's notifications, over notifications.selectors and notifications.services."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from notifications.selectors import notifications_for, tweets_visible_to
from notifications.services import notification_dismiss, notifications_clear
from tweets.models import Tweet
from twitterclone.errors import NotFound

from .. import entities
from ..base import MastodonView, list_param
from ..ids import parse_id
from ..models import Marker
from ..pagination import keyset_page, page_bounds, paginated
from ..selectors import markers_for

SHOWN_TYPES = set(entities.NOTIFICATION_TYPES_OUT)  # room_live has no Mastodon counterpart


def _render(request: Request, rows: list) -> tuple[list, list[int]]:
    tweets = {t.pk: t for t in tweets_visible_to(viewer=request.user, ids={r.tweet_id for r in rows if r.tweet_id})}
    # A notification about a post the user can no longer see (deleted, hidden, blocked) is left out.
    rows = [row for row in rows if not row.tweet_id or row.tweet_id in tweets]
    return entities.notifications(request, rows, tweets), [row.pk for row in rows]


def _types(request: Request) -> set[str]:
    """Our notification types for ``types[]`` and ``exclude_types[]`` (Mastodon's names)."""
    types = set(SHOWN_TYPES)
    wanted = list_param(request.query_params, "types")
    if wanted:
        types &= entities.notification_types_in(wanted)
    return types - entities.notification_types_in(list_param(request.query_params, "exclude_types"))


class NotificationsView(MastodonView):
    """GET /api/v1/notifications (``types[]``, ``exclude_types[]``, ``account_id``)."""

    scopes = {"GET": "read:notifications"}

    def get(self, request: Request) -> Response:
        bounds = page_bounds(request)
        queryset = notifications_for(recipient_id=request.user.pk).filter(type__in=_types(request))
        account_id = request.query_params.get("account_id")
        if account_id:
            actor_id = parse_id(account_id)
            queryset = queryset.filter(actor_id=actor_id) if actor_id is not None else queryset.none()
        rows = keyset_page(queryset, bounds)
        data, keys = _render(request, rows)
        return paginated(request, data, keys)


class NotificationView(MastodonView):
    """GET /api/v1/notifications/:id."""

    scopes = {"GET": "read:notifications"}

    def get(self, request: Request, notification_id: str) -> Response:
        row = None
        parsed = parse_id(notification_id)
        if parsed is not None:
            row = notifications_for(recipient_id=request.user.pk).filter(pk=parsed, type__in=SHOWN_TYPES).first()
        data = _render(request, [row])[0] if row is not None else []
        if not data:
            raise NotFound("Record not found")
        return Response(data[0])


class NotificationDismissView(MastodonView):
    """POST /api/v1/notifications/:id/dismiss: deletes that notification (idempotent: 200 {} for
    any id, 404 for what is not an id)."""

    scopes = {"POST": "write:notifications"}

    def post(self, request: Request, notification_id: str) -> Response:
        parsed = parse_id(notification_id)
        if parsed is None:
            raise NotFound("Record not found")
        notification_dismiss(recipient_id=request.user.pk, notification_id=parsed)
        return Response({})


class NotificationsClearView(MastodonView):
    """POST /api/v1/notifications/clear: deletes all of the user's notifications."""

    scopes = {"POST": "write:notifications"}

    def post(self, request: Request) -> Response:
        notifications_clear(recipient_id=request.user.pk)
        return Response({})


class UnreadCountView(MastodonView):
    """GET /api/v1/notifications/unread_count (Mastodon 4.3): how many notifications are newer
    than the notifications marker (all, with no marker), with ``types[]``/``exclude_types[]``;
    counted up to ``limit`` (default 100, at most 1000), leaving out those the list leaves out
    (about posts the user can no longer see)."""

    scopes = {"GET": "read:notifications"}

    def get(self, request: Request) -> Response:
        limit = page_bounds(request, default=100, maximum=1000).limit
        queryset = notifications_for(recipient_id=request.user.pk).filter(type__in=_types(request))
        marker = markers_for(user=request.user, timelines=[Marker.Timeline.NOTIFICATIONS])
        if marker:
            queryset = queryset.filter(pk__gt=marker[0].last_read_id)
        rows = list(queryset.values_list("pk", "tweet_id")[:limit])
        tweet_ids = {tweet_id for _pk, tweet_id in rows if tweet_id}
        visible = set(Tweet.objects.visible_to(request.user).filter(pk__in=tweet_ids).values_list("pk", flat=True))
        return Response({"count": sum(1 for _pk, tweet_id in rows if not tweet_id or tweet_id in visible)})
