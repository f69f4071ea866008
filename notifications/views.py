"""Notification endpoints: thin views over the notification selectors and services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from twitterclone.errors import InvalidInput, NotFound

from . import selectors, services
from .serializers import NotificationSerializer, UnreadCountSerializer

NO_CONTENT = OpenApiResponse(description="Done; no body.")
TRUE_VALUES = {"true", "1", "yes"}
FALSE_VALUES = {"false", "0", "no", ""}


def _unread_only(request: Request) -> bool:
    raw = request.query_params.get("unread", "").strip().lower()
    if raw in TRUE_VALUES:
        return True
    if raw in FALSE_VALUES:
        return False
    raise InvalidInput(fields={"unread": ["Must be true or false."]})


class NotificationViewSet(viewsets.GenericViewSet):
    """The signed-in user's notifications: only ever their own."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        return selectors.notifications_for(recipient_id=self.request.user.pk, unread_only=_unread_only(self.request))

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="true: only unread notifications.")],
        responses={200: NotificationSerializer(many=True)},
        tags=["notifications"],
        summary="Your notifications, newest first",
    )
    def list(self, request: Request) -> Response:
        page = selectors.notifications_for_display(self.paginate_queryset(self.get_queryset()), viewer=request.user)
        data = NotificationSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(responses={204: NO_CONTENT}, tags=["notifications"], summary="Delete all your notifications")
    def clear(self, request: Request) -> Response:
        services.notifications_clear(recipient_id=request.user.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: UnreadCountSerializer}, tags=["notifications"], summary="How many are unread")
    def unread_count(self, request: Request) -> Response:
        return Response({"count": selectors.unread_count_for(recipient_id=request.user.pk)})

    @extend_schema(
        request=None,
        responses={204: NO_CONTENT, 404: OpenApiResponse(description="No such notification of yours.")},
        tags=["notifications"],
        summary="Mark one notification read",
    )
    def read(self, request: Request, pk: int) -> Response:
        if not services.notification_mark_read(recipient_id=request.user.pk, notification_id=pk):
            raise NotFound("No such notification.")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={204: NO_CONTENT}, tags=["notifications"], summary="Mark all read")
    def read_all(self, request: Request) -> Response:
        services.notifications_mark_all_read(recipient_id=request.user.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
