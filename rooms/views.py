"""Audio-room endpoints: thin views that parse input and call services and selectors."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from twitterclone.converters import USERNAME_SCHEMA
from twitterclone.errors import NotFound
from twitterclone.pagination import IdCursorPagination
from twitterclone.schema import error_response

from . import selectors, services
from .ice import ice_servers_for
from .models import Participant, Room
from .serializers import (
    IceServersSerializer,
    MediaSerializer,
    ParticipantSerializer,
    RoomCreateSerializer,
    RoomListQuerySerializer,
    RoomSerializer,
    RoomUpdateSerializer,
    SpeakerAddSerializer,
)

NO_CONTENT = OpenApiResponse(description="Done; no body.")
USERNAME_PATH = "<username:username>"
USERNAME_PARAMETER = OpenApiParameter(
    "username", USERNAME_SCHEMA, OpenApiParameter.PATH, description="The participant."
)
TAGS = ["rooms"]
NOT_EDITABLE = error_response("the room has started (code room_not_editable)")
ROLE_CONFLICT = error_response(
    "the room is not live, or the change does not apply to this participant (e.g. is_host, not_speaker)"
)
NOT_LIVE = error_response("the room is not live (codes room_not_live, room_ended)")


class RoomCursorPagination(IdCursorPagination):
    ordering = "-rank"


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _user_by_username(username: str) -> User:
    user = User.objects.by_username(username).first()
    if user is None:
        raise NotFound("No such user.")
    return user


class RoomViewSet(viewsets.GenericViewSet):
    """Spaces-style audio rooms. The audio flows peer to peer over WebRTC; the server owns the
    room, its roles and its state, and relays the signalling over ``/ws/rooms/{id}/``."""

    queryset = Room.objects.none()
    serializer_class = RoomSerializer
    pagination_class = RoomCursorPagination
    lookup_value_converter = "id"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _room(self, pk: str) -> Room:
        return selectors.room_visible(room_id=int(pk), viewer=self.request.user)

    def _room_response(self, room_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        room = selectors.room_get_for(room_id=room_id, viewer=self.request.user)
        return Response(RoomSerializer(room, context={"request": self.request}).data, status=status_code)

    def _participant_response(self, participant: Participant) -> Response:
        return Response(ParticipantSerializer(participant, context={"request": self.request}).data)

    @extend_schema(
        parameters=[RoomListQuerySerializer],
        responses={200: RoomSerializer(many=True)},
        tags=TAGS,
        summary="List rooms (live rooms of people you follow first)",
    )
    def list(self, request: Request) -> Response:
        query = _validated(RoomListQuerySerializer, request.query_params)
        page = self.paginate_queryset(selectors.room_list_for(viewer=request.user, state=query.get("state")))
        return self.get_paginated_response(RoomSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        request=RoomCreateSerializer,
        responses={201: RoomSerializer},
        tags=TAGS,
        summary="Create a room (scheduled; you are its host)",
    )
    def create(self, request: Request) -> Response:
        data = _validated(RoomCreateSerializer, request.data)
        room = services.room_create(host=request.user, **data)
        return self._room_response(room.pk, status.HTTP_201_CREATED)

    @extend_schema(responses={200: RoomSerializer}, tags=TAGS, summary="A room with its participants")
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._room_response(int(pk))

    @extend_schema(
        request=RoomUpdateSerializer,
        responses={200: RoomSerializer, 409: NOT_EDITABLE},
        tags=TAGS,
        summary="Edit a room before it starts (host only)",
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        room = self._room(pk)
        data = _validated(RoomUpdateSerializer, request.data)
        services.room_update(room=room, by_user=request.user, data=data)
        return self._room_response(room.pk)

    @extend_schema(
        responses={204: NO_CONTENT, 409: NOT_EDITABLE}, tags=TAGS, summary="Delete a room before it starts (host only)"
    )
    def destroy(self, request: Request, pk: str) -> Response:
        services.room_delete(room=self._room(pk), by_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={200: RoomSerializer, 409: error_response("the room is already live or has ended")},
        tags=TAGS,
        summary="Go live (host only); your followers are notified",
    )
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        room = services.room_start(room=self._room(pk), by_user=request.user)
        return self._room_response(room.pk)

    @extend_schema(
        request=None,
        responses={200: RoomSerializer, 409: error_response("the room has not started (code room_not_live)")},
        tags=TAGS,
        summary="End the room (host, or a moderator); every socket in it is closed",
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        room = services.room_end(room=self._room(pk), by_user=request.user)
        return self._room_response(room.pk)

    @extend_schema(
        request=None, responses={200: ParticipantSerializer, 409: NOT_LIVE}, tags=TAGS, summary="Join as a listener"
    )
    @action(detail=True, methods=["post"])
    def join(self, request: Request, pk: str) -> Response:
        return self._participant_response(services.participant_join(room=self._room(pk), user=request.user))

    @extend_schema(
        request=None, responses={204: NO_CONTENT}, tags=TAGS, summary="Leave (the host leaving hands over or ends it)"
    )
    @action(detail=True, methods=["post"])
    def leave(self, request: Request, pk: str) -> Response:
        services.participant_leave(room=self._room(pk), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={200: ParticipantSerializer, 409: error_response("the room is not live, or you can already speak")},
        tags=TAGS,
        summary="Raise your hand",
    )
    @action(detail=True, methods=["post"])
    def raise_hand(self, request: Request, pk: str) -> Response:
        return self._participant_response(services.hand_raise(room=self._room(pk), user=request.user))

    @extend_schema(
        request=None, responses={200: ParticipantSerializer, 409: NOT_LIVE}, tags=TAGS, summary="Lower your hand"
    )
    @action(detail=True, methods=["post"])
    def lower_hand(self, request: Request, pk: str) -> Response:
        return self._participant_response(services.hand_lower(room=self._room(pk), user=request.user))

    @extend_schema(
        operation_id="rooms_mute_self",
        request=None,
        responses={200: ParticipantSerializer, 409: ROLE_CONFLICT},
        tags=TAGS,
        summary="Mute your microphone",
    )
    @action(detail=True, methods=["post"], url_path="mute")
    def mute_self(self, request: Request, pk: str) -> Response:
        participant = services.self_mute_set(room=self._room(pk), user=request.user, muted=True)
        return self._participant_response(participant)

    @extend_schema(
        request=None,
        responses={200: ParticipantSerializer, 409: ROLE_CONFLICT},
        tags=TAGS,
        summary="Unmute your microphone (speakers; not while muted by the host)",
        operation_id="rooms_unmute_self",
    )
    @action(detail=True, methods=["post"], url_path="unmute")
    def unmute_self(self, request: Request, pk: str) -> Response:
        participant = services.self_mute_set(room=self._room(pk), user=request.user, muted=False)
        return self._participant_response(participant)

    @extend_schema(
        methods=["POST"],
        parameters=[USERNAME_PARAMETER],
        request=SpeakerAddSerializer,
        responses={200: ParticipantSerializer, 409: ROLE_CONFLICT},
        tags=TAGS,
        summary="Make a participant a speaker or co-host (host; co-hosts for speakers)",
    )
    @extend_schema(
        methods=["DELETE"],
        parameters=[USERNAME_PARAMETER],
        request=None,
        responses={200: ParticipantSerializer, 409: ROLE_CONFLICT},
        tags=TAGS,
        summary="Make a speaker or co-host a listener again (host, co-hosts, or yourself)",
    )
    @action(detail=True, methods=["post", "delete"], url_path=f"speakers/{USERNAME_PATH}")
    def speakers(self, request: Request, pk: str, username: str) -> Response:
        room = self._room(pk)
        target = _user_by_username(username)
        if request.method == "DELETE":
            participant = services.speaker_remove(room=room, by_user=request.user, target_user=target)
        else:
            data = _validated(SpeakerAddSerializer, request.data)
            participant = services.speaker_add(room=room, by_user=request.user, target_user=target, role=data["role"])
        return self._participant_response(participant)

    @extend_schema(
        methods=["POST"],
        parameters=[USERNAME_PARAMETER],
        request=None,
        responses={200: ParticipantSerializer, 409: ROLE_CONFLICT},
        tags=TAGS,
        summary="Mute a speaker; they cannot unmute until it is lifted (host, co-hosts)",
        operation_id="rooms_participant_mute",
    )
    @extend_schema(
        methods=["DELETE"],
        parameters=[USERNAME_PARAMETER],
        request=None,
        responses={200: ParticipantSerializer, 409: ROLE_CONFLICT},
        tags=TAGS,
        summary="Lift a host mute (host, co-hosts); the speaker then unmutes themselves",
        operation_id="rooms_participant_mute_lift",
    )
    @action(detail=True, methods=["post", "delete"], url_path=f"mute/{USERNAME_PATH}")
    def mute(self, request: Request, pk: str, username: str) -> Response:
        room = self._room(pk)
        target = _user_by_username(username)
        if request.method == "DELETE":
            participant = services.participant_mute_lift(room=room, by_user=request.user, target_user=target)
        else:
            participant = services.participant_mute(room=room, by_user=request.user, target_user=target)
        return self._participant_response(participant)

    @extend_schema(
        responses={
            200: MediaSerializer,
            403: error_response("you are not in the room (code not_participant)"),
            409: NOT_LIVE,
            503: error_response("the media server is unavailable (code media_unavailable)"),
        },
        tags=TAGS,
        summary="Your media: how your client sends and receives the room's audio (Janus or peer to peer)",
    )
    @action(detail=True, methods=["get"])
    def media(self, request: Request, pk: str) -> Response:
        return Response(services.media_get(room=self._room(pk), user=request.user))

    @extend_schema(
        responses={200: IceServersSerializer},
        tags=TAGS,
        summary="STUN/TURN servers for WebRTC, with short-lived TURN credentials",
    )
    @action(detail=False, methods=["get"])
    def ice_servers(self, request: Request) -> Response:
        return Response({"ice_servers": ice_servers_for(user=request.user)})
