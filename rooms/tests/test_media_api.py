"""``GET /rooms/{id}/media``, the room start and end on Janus, the media in ``room_state`` and
``media_changed``, the Janus side of leaving, demotion and host mutes, and the repair of a lost
Janus room: against a real Janus (the ``janus_server`` fixture; skipped without the binary),
and the peer-to-peer shape without one."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections

from accounts.services import tokens_for
from accounts.tests.factories import UserFactory
from deploy.janus_config import free_port
from rooms import services
from rooms.media import service as media
from rooms.media.backend import mountpoint_secret, room_secret
from rooms.media.janus import AUDIOBRIDGE, STREAMING
from rooms.media.tokens import token_holder
from rooms.models import Participant, Role, Room, RoomState
from rooms.tests.factories import ParticipantFactory, RoomFactory, live_room
from social.models import Block
from tests.janus_server import janus_client, janus_settings
from twitterclone.asgi import application

ROOMS = "/api/v1/rooms"


def media_url(room) -> str:
    return f"{ROOMS}/{room.pk}/media"


def janus_room_exists(janus, room_id: int) -> bool:
    with janus_client(janus) as client, client.handle(AUDIOBRIDGE) as bridge:
        return bridge.audiobridge_exists(room=room_id)


def janus_mountpoint_exists(janus, room_id: int) -> bool:
    with janus_client(janus) as client, client.handle(STREAMING) as streaming:
        return streaming.streaming_exists(mountpoint=room_id)


def mountpoint_pin(janus, room_id: int) -> str | None:
    """The pin Janus holds for the room's mountpoint (``info`` with the mountpoint's secret)."""
    with janus_client(janus) as client, client.handle(STREAMING) as streaming:
        return (streaming.streaming_info(mountpoint=room_id, secret=mountpoint_secret(room_id)) or {}).get("pin")


def allowed_holders(janus, room_id: int) -> set[int]:
    with janus_client(janus) as client, client.handle(AUDIOBRIDGE) as bridge:
        tokens = bridge.audiobridge_allowed(room=room_id, secret=room_secret(room_id), action="enable")
    return {token_holder(t)[1] for t in tokens if token_holder(t)}


@pytest.fixture
def on_janus(settings, janus_server):
    janus_settings(settings, janus_server)
    return janus_server


# --- without Janus: peer to peer ---------------------------------------------------------------


@pytest.mark.django_db
def test_without_janus_media_is_p2p_with_ice_servers(auth_client, settings):
    settings.JANUS_URL = ""
    settings.ROOM_ICE_SERVERS = [{"urls": "stun:stun.example.com:3478"}]
    room = live_room()
    listener = UserFactory()
    ParticipantFactory(room=room, user=listener)
    response = auth_client(listener).get(media_url(room))
    assert response.status_code == 200, response.content
    assert response.json() == {"backend": "p2p", "ice_servers": [{"urls": ["stun:stun.example.com:3478"]}]}


@pytest.mark.django_db
def test_media_is_for_participants_of_a_live_room_only(auth_client, settings):
    settings.JANUS_URL = ""
    room = live_room()
    outsider = UserFactory()
    response = auth_client(outsider).get(media_url(room))
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_participant"
    scheduled = RoomFactory()
    response = auth_client(scheduled.host).get(media_url(scheduled))
    assert response.status_code == 409 and response.json()["error"]["code"] == "room_not_live"
    blocked = UserFactory()
    Block.objects.create(blocker=room.host, blocked=blocked)
    assert auth_client(blocked).get(media_url(room)).status_code == 404  # the room is invisible to them
    assert auth_client(outsider).get(f"{ROOMS}/999999/media").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_host_blocking_a_participant_removes_them_from_the_hosts_live_rooms(auth_client, settings):
    settings.JANUS_URL = ""
    room = live_room()
    other_room = live_room()  # hosted by someone else: the block does not touch it
    listener = UserFactory()
    services.participant_join(room=room, user=listener)
    services.participant_join(room=other_room, user=listener)
    response = auth_client(room.host).post(f"/api/v1/users/{listener.username}/block")
    assert response.status_code in (200, 201, 204), response.content
    assert Participant.objects.get(room=room, user=listener).left_at is not None
    assert Participant.objects.get(room=other_room, user=listener).left_at is None
    assert auth_client(listener).get(media_url(room)).status_code == 404
    # A participant blocking the host removes nobody.
    services.participant_join(room=other_room, user=room.host)
    auth_client(listener).post(f"/api/v1/users/{other_room.host.username}/block")
    assert Participant.objects.get(room=other_room, user=listener).left_at is None


@pytest.mark.django_db
def test_media_needs_authentication(api_client, settings):
    settings.JANUS_URL = ""
    room = live_room()
    assert api_client.get(media_url(room)).status_code == 401


# --- Janus down ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_start_with_janus_unreachable_is_503_and_the_room_stays_scheduled(auth_client, settings, janus_server):
    janus_settings(settings, janus_server)
    settings.JANUS_URL = f"http://127.0.0.1:{free_port()}/janus"  # nothing listens there
    settings.JANUS_TIMEOUT_SECONDS = 1.0
    room = RoomFactory()
    response = auth_client(room.host).post(f"{ROOMS}/{room.pk}/start")
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "media_unavailable"
    room.refresh_from_db()
    assert room.state == RoomState.SCHEDULED and room.started_at is None
    assert not Participant.objects.filter(room=room).exists()
    # And nothing half-made in the Janus that is up: no room, no mountpoint.
    assert not janus_room_exists(janus_server, room.pk)
    assert not janus_mountpoint_exists(janus_server, room.pk)


@pytest.mark.django_db
def test_start_is_503_when_janus_refuses_and_leaves_nothing_behind(auth_client, settings, janus_server):
    """Janus up but refusing our plugin admin_key halfway (the mountpoint cannot be created):
    the AudioBridge room must not be left behind either."""
    janus_settings(settings, janus_server)
    settings.JANUS_ADMIN_KEY = "not-the-key"
    room = RoomFactory()
    response = auth_client(room.host).post(f"{ROOMS}/{room.pk}/start")
    assert response.status_code == 503 and response.json()["error"]["code"] == "media_unavailable"
    assert Room.objects.get(pk=room.pk).state == RoomState.SCHEDULED
    assert not janus_room_exists(janus_server, room.pk)


@pytest.mark.django_db
def test_media_of_a_stage_member_with_janus_down_is_503(auth_client, settings, on_janus):
    room = live_room()
    settings.JANUS_URL = f"http://127.0.0.1:{free_port()}/janus"
    settings.JANUS_TIMEOUT_SECONDS = 1.0
    response = auth_client(room.host).get(media_url(room))
    assert response.status_code == 503 and response.json()["error"]["code"] == "media_unavailable"


# --- with Janus ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_start_creates_the_janus_room_and_mountpoint_and_end_destroys_them(auth_client, on_janus):
    room = RoomFactory()
    response = auth_client(room.host).post(f"{ROOMS}/{room.pk}/start")
    assert response.status_code == 200, response.content
    assert janus_room_exists(on_janus, room.pk) and janus_mountpoint_exists(on_janus, room.pk)
    with janus_client(on_janus) as client, client.handle(AUDIOBRIDGE) as bridge:
        forwarders = bridge.audiobridge_forwarders(room=room.pk, secret=room_secret(room.pk))
    with janus_client(on_janus) as client, client.handle(STREAMING) as streaming:
        port = streaming.streaming_port(mountpoint=room.pk, secret=mountpoint_secret(room.pk))
    assert [(f["ip"], f["port"], f["codec"]) for f in forwarders] == [("127.0.0.1", port, "opus")]
    assert auth_client(room.host).post(f"{ROOMS}/{room.pk}/end").status_code == 200
    assert not janus_room_exists(on_janus, room.pk) and not janus_mountpoint_exists(on_janus, room.pk)


@pytest.mark.django_db(transaction=True)
def test_media_objects_for_stage_and_listeners(auth_client, on_janus):
    room = live_room()
    listener = UserFactory()
    services.participant_join(room=room, user=listener)
    host_media = auth_client(room.host).get(media_url(room)).json()
    assert host_media["backend"] == "janus" and host_media["url"] == on_janus.url
    assert host_media["plugin"] == "janus.plugin.audiobridge" and host_media["room"] == room.pk
    assert host_media["can_speak"] is True and "mountpoint" not in host_media
    assert token_holder(host_media["token"]) == (room.pk, room.host.pk)
    assert host_media["ice_servers"] == []
    assert allowed_holders(on_janus, room.pk) == {room.host.pk}  # the host's token admits them
    listener_media = auth_client(listener).get(media_url(room)).json()
    assert listener_media["plugin"] == "janus.plugin.streaming" and listener_media["mountpoint"] == room.pk
    assert listener_media["can_speak"] is False and "room" not in listener_media
    assert listener_media["pin"] == mountpoint_pin(on_janus, room.pk) and "pin" not in host_media
    assert listener_media["pin"] == Room.objects.get(pk=room.pk).media_pin
    assert token_holder(listener_media["token"]) == (room.pk, listener.pk)
    assert allowed_holders(on_janus, room.pk) == {room.host.pk}  # a listener never enters the ACL
    # A host-muted speaker listens through the mountpoint until the mute is lifted.
    services.speaker_add(room=room, by_user=room.host, target_user=listener)
    assert auth_client(listener).get(media_url(room)).json()["plugin"] == "janus.plugin.audiobridge"
    assert allowed_holders(on_janus, room.pk) == {room.host.pk, listener.pk}
    services.participant_mute(room=room, by_user=room.host, target_user=listener)
    assert allowed_holders(on_janus, room.pk) == {room.host.pk}  # revoked after commit
    muted_media = auth_client(listener).get(media_url(room)).json()
    assert muted_media["plugin"] == "janus.plugin.streaming" and muted_media["can_speak"] is False
    services.participant_mute_lift(room=room, by_user=room.host, target_user=listener)
    assert auth_client(listener).get(media_url(room)).json()["can_speak"] is True
    services.speaker_remove(room=room, by_user=room.host, target_user=listener)
    assert allowed_holders(on_janus, room.pk) == {room.host.pk}
    services.room_end(room=room, by_user=room.host)


@pytest.mark.django_db(transaction=True)
def test_a_lost_janus_room_is_recreated_by_the_check(auth_client, on_janus):
    room = live_room()
    media.media_room_teardown(room_id=room.pk)  # Janus lost it (a restart, say)
    result = media.media_check()
    assert room.pk in result["repaired"]
    assert janus_room_exists(on_janus, room.pk) and janus_mountpoint_exists(on_janus, room.pk)
    assert media.media_check()["repaired"] == []  # nothing more to do
    # The check prunes expired tokens from the ACL (a stage member fetched new ones since).
    from django.conf import settings as django_settings

    from rooms.media.tokens import sign_token

    expired = sign_token(
        secret=django_settings.JANUS_TOKEN_SECRET,
        plugin=AUDIOBRIDGE,
        room_id=room.pk,
        user_id=room.host.pk,
        ttl_seconds=-1,
    )
    with janus_client(on_janus) as client, client.handle(AUDIOBRIDGE) as bridge:
        bridge.audiobridge_allowed(room=room.pk, secret=room_secret(room.pk), action="add", tokens=[expired])
    media.media_check()
    with janus_client(on_janus) as client, client.handle(AUDIOBRIDGE) as bridge:
        assert expired not in bridge.audiobridge_allowed(room=room.pk, secret=room_secret(room.pk), action="enable")
    # A stage member's media also recreates a room that is missing (before the check runs).
    media.media_room_teardown(room_id=room.pk)
    assert auth_client(room.host).get(media_url(room)).status_code == 200
    assert janus_room_exists(on_janus, room.pk)
    services.room_end(room=room, by_user=room.host)


# --- the room socket -----------------------------------------------------------------------------


async def _recv_type(communicator, message_type, timeout=10):
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == message_type:
            return frame


@pytest.mark.django_db(transaction=True)
async def test_room_state_carries_media_and_a_promotion_sends_media_changed(on_janus):
    layer = get_channel_layer()
    await layer.flush()
    room = await database_sync_to_async(live_room)()
    listener = await database_sync_to_async(UserFactory)()
    token = await database_sync_to_async(lambda: tokens_for(listener)["access"])()
    communicator = WebsocketCommunicator(application, f"/ws/rooms/{room.pk}/?token={token}")
    try:
        connected, _ = await communicator.connect()
        assert connected
        state = await _recv_type(communicator, "room_state")
        assert state["media"]["backend"] == "janus"
        assert state["media"]["plugin"] == "janus.plugin.streaming" and state["media"]["mountpoint"] == room.pk
        await database_sync_to_async(services.speaker_add)(room=room, by_user=room.host, target_user=listener)
        changed = await _recv_type(communicator, "media_changed")
        assert changed["reason"] == "role"
        assert changed["media"]["plugin"] == "janus.plugin.audiobridge" and changed["media"]["room"] == room.pk
        assert changed["media"]["can_speak"] is True
        assert token_holder(changed["media"]["token"]) == (room.pk, listener.pk)
        # Raising nothing that changes can_speak sends no media_changed: self-mute.
        await database_sync_to_async(services.self_mute_set)(room=room, user=listener, muted=False)
        update = await _recv_type(communicator, "participant_updated")
        assert update["participant"]["muted"] is False
        assert await communicator.receive_nothing(timeout=0.5)
        # A host mute takes them off the stage: media_changed back to the mountpoint.
        await database_sync_to_async(services.participant_mute)(room=room, by_user=room.host, target_user=listener)
        changed = await _recv_type(communicator, "media_changed")
        assert changed["media"]["plugin"] == "janus.plugin.streaming" and changed["media"]["can_speak"] is False
        # A lost Janus room recreated by the check: every socket gets fresh media.
        await database_sync_to_async(media.media_room_teardown)(room_id=room.pk)
        await database_sync_to_async(media.media_check)()
        changed = await _recv_type(communicator, "media_changed")
        assert changed["media"]["mountpoint"] == room.pk and changed["reason"] == "repaired"
    finally:
        await communicator.disconnect()
        await database_sync_to_async(services.room_end)(room=room, by_user=room.host)
        await layer.flush()
        await database_sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
async def test_room_state_media_is_null_with_an_error_when_janus_is_down(settings, on_janus):
    layer = get_channel_layer()
    await layer.flush()
    room = await database_sync_to_async(live_room)()
    settings.JANUS_URL = f"http://127.0.0.1:{free_port()}/janus"
    settings.JANUS_TIMEOUT_SECONDS = 1.0
    token = await database_sync_to_async(lambda: tokens_for(room.host)["access"])()
    communicator = WebsocketCommunicator(application, f"/ws/rooms/{room.pk}/?token={token}")
    try:
        connected, _ = await communicator.connect()
        assert connected
        state = await _recv_type(communicator, "room_state")
        assert state["media"] is None
        error = await _recv_type(communicator, "error")
        assert error["code"] == "media_unavailable"
    finally:
        await communicator.disconnect()
        await layer.flush()
        await database_sync_to_async(connections.close_all)()


def test_roles_that_may_speak():
    assert media.can_speak(Participant(role=Role.SPEAKER, muted_by_host=False))
    assert media.can_speak(Participant(role=Role.HOST, muted_by_host=False))
    assert not media.can_speak(Participant(role=Role.SPEAKER, muted_by_host=True))
    assert not media.can_speak(Participant(role=Role.LISTENER, muted_by_host=False))
    assert not media.can_speak(None)


@pytest.mark.django_db(transaction=True)
def test_janus_down_after_commit_never_fails_the_request_and_a_worker_retries(
    auth_client, settings, on_janus, monkeypatch
):
    from celery.exceptions import Retry

    from rooms import tasks
    from rooms.media.janus import JanusUnavailable

    room = live_room()
    listener = UserFactory()
    services.participant_join(room=room, user=listener)
    settings.JANUS_URL = f"http://127.0.0.1:{free_port()}/janus"
    settings.JANUS_ADMIN_URL = f"http://127.0.0.1:{free_port()}/admin"
    settings.JANUS_TIMEOUT_SECONDS = 1.0
    assert auth_client(listener).post(f"{ROOMS}/{room.pk}/leave").status_code == 204
    assert Participant.objects.get(room=room, user=listener).left_at is not None
    # No worker (eager tasks): logged, not raised. With a worker: retried with backoff.
    assert tasks.media_participant_sync(room.pk, listener.pk) is None
    retries = []

    def retry(exc, countdown):
        retries.append((type(exc), countdown))
        return Retry()

    monkeypatch.setattr("twitterclone.effects.tasks_run_by_worker", lambda: True)
    monkeypatch.setattr(tasks.media_participant_sync, "retry", retry)
    monkeypatch.setattr(tasks.media_room_teardown, "retry", retry)
    with pytest.raises(Retry):
        tasks.media_participant_sync(room.pk, listener.pk)
    with pytest.raises(Retry):
        tasks.media_room_teardown(room.pk)
    assert retries == [(JanusUnavailable, 2), (JanusUnavailable, 2)]
    assert auth_client(room.host).post(f"{ROOMS}/{room.pk}/end").status_code == 200  # teardown fails quietly
    settings.JANUS_URL = on_janus.url
    media.media_room_teardown(room_id=room.pk)


@pytest.mark.django_db(transaction=True)
async def test_without_beat_the_heartbeat_runs_the_media_check(settings, on_janus):
    """Eager tasks (no Celery beat): the room heartbeat of a server process runs the media check
    with its presence sweep, so a lost Janus room is recreated there too."""
    from rooms import heartbeat

    settings.ROOM_PRESENCE_SWEEP_SECONDS = 0.0
    room = await database_sync_to_async(live_room)()
    await database_sync_to_async(media.media_room_teardown)(room_id=room.pk)
    beat = heartbeat._Heartbeat()
    await beat.beat()
    assert await database_sync_to_async(janus_room_exists)(on_janus, room.pk)
    await database_sync_to_async(services.room_end)(room=room, by_user=room.host)
    await database_sync_to_async(connections.close_all)()


def test_who_may_speak_is_one_rule():
    from rooms.models import Role, may_speak

    assert may_speak(Role.HOST, False) and may_speak(Role.COHOST, False) and may_speak(Role.SPEAKER, False)
    assert not may_speak(Role.SPEAKER, True)
    assert not may_speak(Role.LISTENER, False)
