import factory

from accounts.tests.factories import UserFactory
from rooms.models import Participant, Role, Room, RoomState


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    host = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Room {n}")
    state = RoomState.SCHEDULED


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    room = factory.SubFactory(RoomFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.LISTENER


def live_room(host=None, **kwargs) -> Room:
    """A room taken live through the service (so the host is a participant)."""
    from rooms import services

    room = RoomFactory(**({"host": host} if host else {}), **kwargs)
    return services.room_start(room=room, by_user=room.host)
