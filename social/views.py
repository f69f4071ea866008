"""Follow, block and mute endpoints, follower lists and suggestions: thin views."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.selectors import user_get_visible
from accounts.serializers import PublicProfileSerializer
from tweets.pagination import FollowPagination
from twitterclone.converters import USERNAME_SCHEMA
from twitterclone.errors import NotFound
from twitterclone.params import IntegerParameter

from . import selectors, services

NO_CONTENT = OpenApiResponse(description="Done; no body.")
USERNAME = OpenApiParameter("username", USERNAME_SCHEMA, OpenApiParameter.PATH, description="Any case.")
SUGGESTIONS_LIMIT = IntegerParameter("limit", 1, 100, 20, "How many (1 to 100, default 20).")


def _target(username: str, *, must_be_active: bool) -> User:
    """The user an action is aimed at. Suspended or deactivated accounts cannot be followed,
    blocked or muted (404), but can still be unfollowed, unblocked and unmuted. Blocks are
    not checked here: the services answer 403 ``blocked`` where a block forbids an action."""
    queryset = User.objects.by_username(username)
    if must_be_active:
        queryset = queryset.active()
    user = queryset.first()
    if user is None:
        raise NotFound("No such user.")
    return user


def _profile(request: Request, user: User) -> Response:
    annotated = selectors.users_with_viewer_state(User.objects.filter(pk=user.pk), request.user).first()
    return Response(PublicProfileSerializer(annotated, context={"request": request}).data)


def _relation_schema(verb: str, *, undo: bool = False):
    if undo:
        return extend_schema(
            parameters=[USERNAME],
            request=None,
            responses={204: NO_CONTENT},
            tags=["social"],
            summary=f"Un{verb} a user (idempotent)",
        )
    return extend_schema(
        parameters=[USERNAME],
        request=None,
        responses={200: PublicProfileSerializer},
        tags=["social"],
        summary=f"{verb.capitalize()} a user (idempotent); answers their profile with the new viewer state",
    )


class FollowView(APIView):
    permission_classes = [IsAuthenticated]

    @_relation_schema("follow")
    def post(self, request: Request, username: str) -> Response:
        target = _target(username, must_be_active=True)
        services.follow_create(follower=request.user, followee=target)
        return _profile(request, target)

    @_relation_schema("follow", undo=True)
    def delete(self, request: Request, username: str) -> Response:
        services.follow_delete(follower=request.user, followee=_target(username, must_be_active=False))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlockView(APIView):
    permission_classes = [IsAuthenticated]

    @_relation_schema("block")
    def post(self, request: Request, username: str) -> Response:
        target = _target(username, must_be_active=True)
        services.block_create(blocker=request.user, blocked=target)
        return _profile(request, target)

    @_relation_schema("block", undo=True)
    def delete(self, request: Request, username: str) -> Response:
        services.block_delete(blocker=request.user, blocked=_target(username, must_be_active=False))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MuteView(APIView):
    permission_classes = [IsAuthenticated]

    @_relation_schema("mute")
    def post(self, request: Request, username: str) -> Response:
        target = _target(username, must_be_active=True)
        services.mute_create(muter=request.user, muted=target)
        return _profile(request, target)

    @_relation_schema("mute", undo=True)
    def delete(self, request: Request, username: str) -> Response:
        services.mute_delete(muter=request.user, muted=_target(username, must_be_active=False))
        return Response(status=status.HTTP_204_NO_CONTENT)


class _UserListView(APIView):
    permission_classes = [AllowAny]

    def _respond(self, request: Request, queryset) -> Response:
        paginator = FollowPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(
            PublicProfileSerializer(page, many=True, context={"request": request}).data
        )


class FollowersView(_UserListView):
    pagination_class = FollowPagination

    @extend_schema(
        parameters=[USERNAME],
        responses={200: PublicProfileSerializer(many=True)},
        tags=["social"],
        summary="A user's followers, most recent first",
    )
    def get(self, request: Request, username: str) -> Response:
        user = user_get_visible(username=username, viewer=request.user)
        return self._respond(request, selectors.followers_of(user=user, viewer=request.user))


class FollowingView(_UserListView):
    pagination_class = FollowPagination

    @extend_schema(
        parameters=[USERNAME],
        responses={200: PublicProfileSerializer(many=True)},
        tags=["social"],
        summary="The users a user follows, most recent first",
    )
    def get(self, request: Request, username: str) -> Response:
        user = user_get_visible(username=username, viewer=request.user)
        return self._respond(request, selectors.following_of(user=user, viewer=request.user))


class SuggestionsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[SUGGESTIONS_LIMIT.openapi()],
        responses={
            200: inline_serializer(
                "Suggestions",
                {
                    "results": PublicProfileSerializer(many=True),
                    "next": serializers.URLField(allow_null=True, help_text="Always null: one ranked page."),
                    "previous": serializers.URLField(allow_null=True, help_text="Always null."),
                },
            )
        },
        tags=["social"],
        summary="People to follow, best first",
        description="Not yet followed, not yourself, not blocked either way, not suspended; ranked by how "
        "many of the people you follow follow them, then by followers. One ranked page, in the list "
        "envelope.",
    )
    def get(self, request: Request) -> Response:
        users = selectors.suggestions_for(viewer=request.user, limit=SUGGESTIONS_LIMIT.parse(request))
        data = PublicProfileSerializer(users, many=True, context={"request": request}).data
        return Response({"results": data, "next": None, "previous": None})
