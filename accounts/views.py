"""Account endpoints: thin views that parse input and call services and selectors."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from twitterclone.errors import InvalidInput
from twitterclone.jsoncodec import OrjsonParser
from twitterclone.parsers import StrictMultiPartParser
from twitterclone.schema import NOT_BLANK_PATTERN, error_response

from . import selectors, services
from .models import User
from .serializers import (
    AuthResultSerializer,
    LoginSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    PrivateProfileSerializer,
    ProfileUpdateJSONSerializer,
    ProfileUpdateSerializer,
    PublicProfileSerializer,
    RefreshSerializer,
    RegisterSerializer,
    TokenPairSerializer,
)

NO_CONTENT = OpenApiResponse(description="Done; no body.")


def _validated(serializer_class, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _auth_result(user: User, request: Request) -> dict:
    return {"user": PrivateProfileSerializer(user, context={"request": request}).data, **services.tokens_for(user)}


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=RegisterSerializer,
        responses={201: AuthResultSerializer, 409: error_response("username or email taken")},
        tags=["auth"],
        summary="Create an account",
    )
    def post(self, request: Request) -> Response:
        data = _validated(RegisterSerializer, request)
        user = services.user_register(**data)
        return Response(_auth_result(user, request), status=status.HTTP_201_CREATED)


class LoginView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=LoginSerializer, responses={200: AuthResultSerializer}, tags=["auth"], summary="Log in")
    def post(self, request: Request) -> Response:
        data = _validated(LoginSerializer, request)
        user = services.auth_login(**data)
        return Response(_auth_result(user, request))


class TokenRefreshView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=RefreshSerializer, responses={200: TokenPairSerializer}, tags=["auth"], summary="Rotate a refresh token"
    )
    def post(self, request: Request) -> Response:
        data = _validated(RefreshSerializer, request)
        return Response(services.token_refresh(refresh=data["refresh"]))


class LogoutView(APIView):
    @extend_schema(
        request=RefreshSerializer, responses={204: NO_CONTENT}, tags=["auth"], summary="Revoke a refresh token"
    )
    def post(self, request: Request) -> Response:
        data = _validated(RefreshSerializer, request)
        services.token_logout(user=request.user, refresh=data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    @extend_schema(
        request=None,
        responses={204: NO_CONTENT},
        tags=["auth"],
        summary="Log out everywhere: every token of yours stops working and your sockets are closed",
    )
    def post(self, request: Request) -> Response:
        services.sessions_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    @extend_schema(
        request=PasswordChangeSerializer, responses={204: NO_CONTENT}, tags=["auth"], summary="Change the password"
    )
    def post(self, request: Request) -> Response:
        data = _validated(PasswordChangeSerializer, request)
        services.password_change(user=request.user, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=PasswordResetSerializer,
        responses={
            202: OpenApiResponse(
                description="Accepted, whether or not the email has an account (same body, same work, same time)."
            )
        },
        tags=["auth"],
        summary="Email a password-reset code",
    )
    def post(self, request: Request) -> Response:
        data = _validated(PasswordResetSerializer, request)
        services.password_reset_request(email=data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={204: NO_CONTENT},
        tags=["auth"],
        summary="Set a new password with a reset code",
        description=(
            "The code is checked first. Every failure (wrong, expired, used or throttled code, unknown email, "
            "and any `new_password` with a wrong code) answers the same 400 `invalid_code`, whatever the email. "
            "Only with the right code is `new_password` checked against the password rules (400 with "
            "`fields.new_password`; the code stays usable)."
        ),
    )
    def post(self, request: Request) -> Response:
        data = _validated(PasswordResetConfirmSerializer, request)
        services.password_reset_confirm(**data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Profiles: the signed-in user's own (`me`), public ones by username, and prefix search."""

    lookup_field = "username"
    lookup_value_converter = "username"
    serializer_class = PublicProfileSerializer
    queryset = User.objects.none()

    def get_permissions(self):
        if self.action in ("retrieve", "list"):
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "minLength": 1, "maxLength": 100, "pattern": NOT_BLANK_PATTERN},
                required=True,
                description="Username or display-name prefix.",
            )
        ],
        responses={200: PublicProfileSerializer(many=True)},
        tags=["users"],
        summary="Search users by prefix",
    )
    def list(self, request: Request) -> Response:
        query = request.query_params.get("q", "")
        if not query.strip() or len(query) > 100 or "\x00" in query:
            raise InvalidInput("Invalid input.", fields={"q": ["Give 1 to 100 characters, without null characters."]})
        page = self.paginate_queryset(selectors.user_search(query=query, viewer=request.user))
        return self.get_paginated_response(PublicProfileSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(responses={200: PublicProfileSerializer}, tags=["users"], summary="A public profile")
    def retrieve(self, request: Request, username: str) -> Response:
        user = selectors.user_get_visible(username=username, viewer=request.user)
        return Response(PublicProfileSerializer(user, context={"request": request}).data)

    @extend_schema(methods=["GET"], responses={200: PrivateProfileSerializer}, tags=["users"], summary="Your profile")
    @extend_schema(
        methods=["PATCH"],
        request={
            "application/json": ProfileUpdateJSONSerializer,
            "multipart/form-data": ProfileUpdateSerializer,
        },
        responses={200: PrivateProfileSerializer},
        tags=["users"],
        summary="Update your profile (JSON, or multipart for the avatar)",
    )
    @action(detail=False, methods=["get", "patch"], parser_classes=[OrjsonParser, StrictMultiPartParser])
    def me(self, request: Request) -> Response:
        if request.method == "PATCH":
            serializer = ProfileUpdateSerializer(request.user, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            with transaction.atomic():
                services.profile_update(user=request.user, data=serializer.validated_data)
        return Response(PrivateProfileSerializer(request.user, context={"request": request}).data)
