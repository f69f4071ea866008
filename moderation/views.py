"""Reports from users: thin views over moderation.services and moderation.selectors."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from . import selectors, services
from .serializers import ReportCreateSerializer, ReportSerializer


class ReportViewSet(viewsets.GenericViewSet):
    """File reports of tweets, users and rooms, and list your own."""

    serializer_class = ReportSerializer
    lookup_value_converter = "id"

    def get_queryset(self):
        return selectors.reports_filed_by(reporter=self.request.user)

    @extend_schema(
        request=ReportCreateSerializer,
        responses={201: ReportSerializer, 200: ReportSerializer},
        tags=["reports"],
        summary="Report a tweet, a user or a room",
        description=(
            "The body names exactly one target: `tweet` (id), `user` (username) or `room` (id), with a "
            "`category` (`spam`, `abuse`, `illegal`, `other`; default `other`) and an optional `comment` "
            "(up to 1000 characters). Answers **201** with the new report, or **200** with your earlier "
            "report on the same target while that one is still open (no second report is created). "
            "A target you cannot see (or that does not exist) is a 404; reporting yourself or your own "
            "content is a 400. Rate-limited per user by the project-wide limiter (`RATE_LIMITS['report']`, "
            "50 a day by default; 429 with `Retry-After`)."
        ),
        examples=[
            OpenApiExample("A tweet", value={"tweet": 123, "category": "spam"}, request_only=True),
            OpenApiExample(
                "A user", value={"user": "someone", "category": "abuse", "comment": "..."}, request_only=True
            ),
            OpenApiExample("A room", value={"room": 7, "category": "illegal"}, request_only=True),
        ],
    )
    def create(self, request: Request) -> Response:
        serializer = ReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report, created = services.report_create(reporter=request.user, **serializer.validated_data)
        return Response(
            ReportSerializer(report, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        responses={200: ReportSerializer(many=True)},
        tags=["reports"],
        summary="Your reports",
        description="The reports you filed, newest first, cursor-paginated, with their status (`open`/`resolved`).",
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ReportSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        responses={200: ReportSerializer},
        tags=["reports"],
        summary="One of your reports",
        description="One report you filed; anyone else's is a 404.",
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        report = selectors.report_get_own(reporter=request.user, report_id=int(pk))
        return Response(ReportSerializer(report, context={"request": request}).data)
