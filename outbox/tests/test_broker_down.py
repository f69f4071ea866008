"""The API with the Celery broker down (Celery pointed at a closed port, as a web process with a
worker publishes): requests that enqueue tasks answer as usual, and once the broker is back the
outbox drain delivers what they enqueued, exactly once. (tests/test_fault_broker.py does the
same with real server, broker and worker processes.)"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from notifications.models import Notification
from outbox.models import PendingTask
from outbox.services import outbox_drain
from rooms.models import Room, RoomState
from social.models import Follow
from tests.brokers import celery_broker, closed_port_broker_url

pytestmark = pytest.mark.django_db(transaction=True)  # real commits: on-commit hooks run inside the request

RESET = "/api/v1/auth/password/reset"


def drain_with_the_broker_back() -> int:
    """The broker is back; with eager tasks the drain runs each task as it publishes it, like a
    worker taking it at once."""
    return outbox_drain(due_by=timezone.now() + timedelta(hours=1))


def test_password_reset_answers_the_same_for_a_known_email_and_mails_once_the_broker_is_back(api_client):
    UserFactory(username="frank", email="frank@example.com")
    with celery_broker(closed_port_broker_url()):
        known = api_client.post(RESET, {"email": "frank@example.com"}, format="json")
        unknown = api_client.post(RESET, {"email": "nobody@example.com"}, format="json")
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert known.status_code == 202
    assert mail.outbox == []
    assert sorted(PendingTask.objects.values_list("args", flat=True)) == [["frank@example.com"], ["nobody@example.com"]]

    assert drain_with_the_broker_back() == 2
    assert drain_with_the_broker_back() == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["frank@example.com"]
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    confirmed = api_client.post(
        f"{RESET}/confirm",
        {"email": "frank@example.com", "code": code, "new_password": "a-brand-new-passphrase"},
        format="json",
    )
    assert confirmed.status_code == 204
    assert not PendingTask.objects.exists()


def test_room_start_answers_200_and_the_room_is_live_then_followers_are_notified_once(auth_client, caplog):
    host, fans = UserFactory(), UserFactory.create_batch(3)
    Follow.objects.bulk_create(Follow(follower=fan, followee=host) for fan in fans)
    client = auth_client(host)
    room_id = client.post("/api/v1/rooms", {"title": "broker down"}, format="json").json()["id"]
    with celery_broker(closed_port_broker_url()):
        started = client.post(f"/api/v1/rooms/{room_id}/start")
    assert started.status_code == 200, started.content
    assert started.json()["state"] == "live"
    assert Room.objects.get(pk=room_id).state == RoomState.LIVE
    # Both hooks ran and failed to publish (the room_live fan-out, then the host's presence
    # check): each kept for the drain, and the first failure did not stop the second hook.
    assert caplog.text.count("the outbox drain will retry it") == 2
    assert sorted(PendingTask.objects.values_list("task", flat=True)) == [
        "notifications.tasks.fan_out_room_live",
        "rooms.tasks.participant_presence_check",
    ]
    assert all(row.attempts == 1 for row in PendingTask.objects.all())
    assert not Notification.objects.exists()

    PendingTask.objects.filter(task="rooms.tasks.participant_presence_check").delete()  # due in 2 min
    assert drain_with_the_broker_back() == 1
    assert drain_with_the_broker_back() == 0
    recipients = list(
        Notification.objects.filter(room_id=room_id, type="room_live").values_list("recipient_id", flat=True)
    )
    assert sorted(recipients) == sorted(fan.pk for fan in fans)
