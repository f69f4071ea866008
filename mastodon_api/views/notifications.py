"""Mastodon's notifications, over notifications.selectors and notifications.services."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from notifications.selectors import notifications_for, tweets_visible_to
from notifications.services import notification_dismiss, notifications_clear
from twitterclone.errors import NotFound

from .. import entities
from ..base import MastodonView
from ..ids import parse_id
from ..pagination import keyset_page, page_bounds, paginated

SHOWN_TYPES = set(entities.NOTIFICATION_TYPES_OUT)  # room_live has no Mastodon counterpart


def _render(request: Request, rows: list) -> tuple[list, list[int]]:
    tweets = {t.pk: t for t in tweets_visible_to(viewer=request.user, ids={r.tweet_id for r in rows if r.tweet_id})}
    # A notification about a post the user can no longer see (deleted, hidden, blocked) is left out.
    rows = [row for row in rows if not row.tweet_id or row.tweet_id in tweets]
    return entities.notifications(request, rows, tweets), [row.pk for row in rows]


class NotificationsView(MastodonView):
    """GET /api/v1/notifications (``types[]``, ``exclude_types[]``, ``account_id``)."""

    scopes = {"GET": "read:notifications"}

    def get(self, request: Request) -> Response:
        bounds = page_bounds(request)
        types = set(SHOWN_TYPES)
        if request.query_params.getlist("types[]") or request.query_params.getlist("types"):
            types &= entities.notification_types_in(
                request.query_params.getlist("types[]") or request.query_params.getlist("types")
            )
        excluded = request.query_params.getlist("exclude_types[]") or request.query_params.getlist("exclude_types")
        types -= entities.notification_types_in(excluded)
        queryset = notifications_for(recipient_id=request.user.pk).filter(type__in=types)
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
