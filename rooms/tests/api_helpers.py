"""What the room REST tests share: URLs, the error code of a response, participants made
directly, and the ``host``/``room`` fixtures (a live room; plain ``db``, unlike the socket tests'
transactional ones in conftest.py)."""

import pytest

from accounts.tests.factories import UserFactory
from rooms.models import Participant, Role
from rooms.tests.factories import ParticipantFactory, live_room

ROOMS = "/api/v1/rooms"


def url(room, suffix=""):
    return f"{ROOMS}/{room.pk}{suffix}"


def error_code(response):
    return response.json()["error"]["code"]


@pytest.fixture
def host(db):
    return UserFactory()


@pytest.fixture
def room(host):
    return live_room(host=host)


def join(room, user=None, role=Role.LISTENER, **kwargs):
    return ParticipantFactory(room=room, user=user or UserFactory(), role=role, **kwargs)


def state_of(room, user):
    return Participant.objects.get(room=room, user=user)
