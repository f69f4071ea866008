"""Room services: events after commit, presence and grace periods, the Celery checks."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from rooms import services, tasks
from rooms.models import Participant, Role, RoomConnection, RoomState
from rooms.tests.factories import ParticipantFactory, RoomFactory, live_room
from twitterclone.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Every channel-layer message a service sends, as (group, message)."""
    messages = []

    def group_send_many(batch):
        messages.extend(batch)
        return len(batch)

    monkeypatch.setattr("twitterclone.broadcast.group_send_many", group_send_many)
    return messages


def events_of(sent):
    return [(group, message["event"]["type"]) for group, message in sent if message["type"] == "room.event"]


def test_changes_are_broadcast_to_the_room_after_commit(sent, django_capture_on_commit_callbacks):
    room = live_room()
    user = UserFactory()
    group = f"room.{room.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        services.participant_join(room=room, user=user)
        assert sent == []  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        services.hand_raise(room=room, user=user)
        services.speaker_add(room=room, by_user=room.host, target_user=user)
        services.participant_leave(room=room, user=user)
    assert events_of(sent) == [
        (group, "participant_joined"),
        (group, "participant_updated"),
        (group, "participant_updated"),
        (group, "participant_left"),
    ]
    joined = sent[0][1]["event"]
    assert joined["participant"]["user"]["id"] == user.pk
    assert joined["participant"]["role"] == "listener"
    promoted = sent[2][1]["event"]["participant"]
    assert (promoted["role"], promoted["hand_raised"]) == ("speaker", False)
    assert sent[3][1]["event"]["reason"] == "left"
    assert all(message["type"] == "room.event" for _, message in sent)  # no socket was open


def test_leaving_closes_exactly_the_sockets_open_at_that_moment(monkeypatch, django_capture_on_commit_callbacks):
    closed = []
    monkeypatch.setattr(
        "twitterclone.broadcast.channel_send_many", lambda names, message: closed.append((names, message))
    )
    room = live_room()
    user = UserFactory()
    services.participant_connect(room_id=room.pk, user=user, channel_name="tab.1")
    services.participant_connect(room_id=room.pk, user=user, channel_name="tab.2")
    with django_capture_on_commit_callbacks(execute=True):
        services.participant_leave(room=room, user=user)
    assert closed == [(["tab.1", "tab.2"], {"type": "room.removed", "room_id": room.pk})]
    assert not RoomConnection.objects.exists()


def test_no_event_when_nothing_changes(sent, django_capture_on_commit_callbacks):
    room = live_room()
    user = UserFactory()
    services.participant_join(room=room, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        services.participant_join(room=room, user=user)
        services.hand_lower(room=room, user=user)
    assert sent == []


def test_a_rolled_back_change_sends_nothing(sent, django_capture_on_commit_callbacks):
    room = live_room()
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.participant_join(room=room, user=user)
        raise RuntimeError("roll back")
    assert sent == []
    assert not Participant.objects.filter(user=user).exists()


def test_room_end_tells_every_socket_after_commit(sent, django_capture_on_commit_callbacks):
    room = live_room()
    participant = ParticipantFactory(room=room)
    RoomConnection.objects.create(participant=participant, channel_name="x.1")
    with django_capture_on_commit_callbacks(execute=True):
        services.room_end(room=room, by_user=room.host)
    assert sent == [(f"room.{room.pk}", {"type": "room.ended", "room_id": room.pk})]
    assert not RoomConnection.objects.exists()
    participant.refresh_from_db()
    assert participant.left_at is not None


def test_room_start_calls_notify_room_live_in_its_transaction(monkeypatch):
    calls = []
    monkeypatch.setattr("notifications.services.notify_room_live", lambda *, room_id: calls.append(room_id))
    room = RoomFactory()
    services.room_start(room=room, by_user=room.host)
    assert calls == [room.pk]


# --- presence -----------------------------------------------------------------------------------


def test_connect_joins_and_disconnect_starts_the_grace_period(settings):
    settings.ROOM_DISCONNECT_GRACE_SECONDS = 7
    room = live_room()
    user = UserFactory()
    participant = services.participant_connect(room_id=room.pk, user=user, channel_name="c.1")
    assert participant.disconnected_at is None
    services.participant_connect(room_id=room.pk, user=user, channel_name="c.2")
    assert services.participant_disconnect(room_id=room.pk, user_id=user.pk, channel_name="c.1") is None
    assert services.participant_disconnect(room_id=room.pk, user_id=user.pk, channel_name="c.2") == 7
    participant.refresh_from_db()
    assert participant.disconnected_at is not None
    assert participant.left_at is None


def test_presence_check_waits_for_the_grace_period_then_makes_them_leave(settings):
    settings.ROOM_DISCONNECT_GRACE_SECONDS = 30
    room = live_room()
    participant = ParticipantFactory(room=room, disconnected_at=timezone.now() - timedelta(seconds=10))
    remaining = services.presence_check(room_id=room.pk, user_id=participant.user_id)
    assert 19 < remaining <= 20
    participant.refresh_from_db()
    assert participant.left_at is None
    Participant.objects.filter(pk=participant.pk).update(disconnected_at=timezone.now() - timedelta(seconds=31))
    assert services.presence_check(room_id=room.pk, user_id=participant.user_id) is None
    participant.refresh_from_db()
    assert participant.left_at is not None


def test_presence_check_spares_a_participant_who_reconnected():
    room = live_room()
    participant = ParticipantFactory(room=room, disconnected_at=timezone.now() - timedelta(hours=1))
    services.participant_connect(room_id=room.pk, user=participant.user, channel_name="back.1")
    assert services.presence_check(room_id=room.pk, user_id=participant.user_id) is None
    participant.refresh_from_db()
    assert participant.left_at is None


def test_host_without_a_socket_ends_the_room_after_the_host_grace(settings):
    settings.ROOM_DISCONNECT_GRACE_SECONDS = 1
    settings.ROOM_HOST_GRACE_SECONDS = 60
    room = live_room()
    Participant.objects.filter(room=room, user=room.host).update(disconnected_at=timezone.now() - timedelta(seconds=30))
    assert services.presence_check(room_id=room.pk, user_id=room.host_id) > 29  # the host's grace is longer
    room.refresh_from_db()
    assert room.state == RoomState.LIVE
    Participant.objects.filter(room=room, user=room.host).update(disconnected_at=timezone.now() - timedelta(seconds=61))
    assert services.presence_check(room_id=room.pk, user_id=room.host_id) is None
    room.refresh_from_db()
    assert room.state == RoomState.ENDED


def test_absent_host_hands_over_to_a_connected_cohost_first(settings):
    settings.ROOM_HOST_GRACE_SECONDS = 0
    room = live_room()
    absent_cohost = ParticipantFactory(room=room, role=Role.COHOST, disconnected_at=timezone.now())
    connected_cohost = ParticipantFactory(room=room, role=Role.COHOST)
    RoomConnection.objects.create(participant=connected_cohost, channel_name="co.1")
    Participant.objects.filter(room=room, user=room.host).update(disconnected_at=timezone.now() - timedelta(seconds=1))
    services.presence_check(room_id=room.pk, user_id=room.host_id)
    room.refresh_from_db()
    assert room.state == RoomState.LIVE
    assert room.host_id == connected_cohost.user_id
    absent_cohost.refresh_from_db()
    assert absent_cohost.role == Role.COHOST


def test_presence_sweep_catches_overdue_participants(settings):
    settings.ROOM_DISCONNECT_GRACE_SECONDS = 5
    room = live_room()
    overdue = ParticipantFactory(room=room, disconnected_at=timezone.now() - timedelta(seconds=6))
    recent = ParticipantFactory(room=room, disconnected_at=timezone.now())
    connected = ParticipantFactory(room=room)
    assert tasks.presence_sweep() == 1
    overdue.refresh_from_db()
    recent.refresh_from_db()
    connected.refresh_from_db()
    assert overdue.left_at is not None
    assert recent.left_at is None
    assert connected.left_at is None


@pytest.fixture
def with_a_worker():
    """Celery tasks go to a worker (here: nowhere, apply_async is replaced) instead of running inline."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def test_with_a_celery_worker_disconnects_schedule_a_countdown_check(
    settings, monkeypatch, django_capture_on_commit_callbacks, with_a_worker
):
    settings.ROOM_DISCONNECT_GRACE_SECONDS = 12
    scheduled = []
    monkeypatch.setattr(
        tasks.participant_presence_check,
        "apply_async",
        lambda args, countdown, **options: scheduled.append((tuple(args), round(countdown))),
    )
    room = live_room()
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.participant_connect(room_id=room.pk, user=user, channel_name="w.1")
    scheduled.clear()  # the join's own check
    with django_capture_on_commit_callbacks(execute=True):
        services.participant_disconnect(room_id=room.pk, user_id=user.pk, channel_name="w.1")
    assert scheduled == [((room.pk, user.pk), 12)]


def test_without_a_worker_services_schedule_no_celery_task(monkeypatch, django_capture_on_commit_callbacks):
    # Eager tasks would run the countdown check at once; the room socket schedules it instead.
    called = []
    monkeypatch.setattr(tasks.participant_presence_check, "apply_async", lambda *a, **k: called.append(a))
    room = live_room()
    with django_capture_on_commit_callbacks(execute=True):
        services.participant_join(room=room, user=UserFactory())
    assert services.checks_run_in_celery() is False
    assert called == []


def test_presence_task_reschedules_while_the_grace_period_runs(
    settings, monkeypatch, with_a_worker, django_capture_on_commit_callbacks
):
    settings.ROOM_DISCONNECT_GRACE_SECONDS = 30
    scheduled = []
    monkeypatch.setattr(
        tasks.participant_presence_check,
        "apply_async",
        lambda args, countdown, **options: scheduled.append(countdown),
    )
    room = live_room()
    participant = ParticipantFactory(room=room, disconnected_at=timezone.now() - timedelta(seconds=20))
    with django_capture_on_commit_callbacks(execute=True):  # a worker runs tasks in autocommit
        tasks.participant_presence_check(room.pk, participant.user_id)
    assert len(scheduled) == 1
    assert 9 < scheduled[0] <= 10
    participant.refresh_from_db()
    assert participant.left_at is None


def test_room_start_and_end_update_the_callers_room_object():
    room = RoomFactory()
    services.room_start(room=room, by_user=room.host)
    assert room.state == RoomState.LIVE
    assert room.started_at is not None
    services.room_end(room=room, by_user=room.host)
    assert room.state == RoomState.ENDED
    assert room.ended_at is not None
