"""The REST endpoints of a live room's participants: join, leave, hands, speakers and co-hosts, mutes."""

import pytest

from rooms.models import Participant, Role, RoomState
from rooms.tests import api_helpers
from rooms.tests.api_helpers import error_code, join, state_of, url
from rooms.tests.factories import RoomFactory
from social.models import Block

pytestmark = pytest.mark.django_db

host, room = api_helpers.host, api_helpers.room  # the fixtures


# --- join, leave, hands ----------------------------------------------------------------------------


def test_join_as_listener_is_idempotent(auth_client, room, user):
    client = auth_client(user)
    response = client.post(url(room, "/join"))
    assert response.status_code == 200
    body = response.json()
    assert (body["user"]["id"], body["role"], body["muted"], body["hand_raised"]) == (user.pk, "listener", True, False)
    client.post(url(room, "/raise_hand"))
    again = client.post(url(room, "/join")).json()
    assert again["hand_raised"] is True
    assert Participant.objects.filter(room=room, user=user).count() == 1


def test_blocked_user_cannot_join(room, host, user):
    from rooms import services
    from twitterclone.errors import Forbidden

    Block.objects.create(blocker=host, blocked=user)
    with pytest.raises(Forbidden) as exc:
        services.participant_join(room=room, user=user)
    assert exc.value.code == "blocked"
    assert not Participant.objects.filter(room=room, user=user).exists()


def test_join_needs_a_live_room(auth_client, user):
    scheduled = RoomFactory()
    assert error_code(auth_client(user).post(url(scheduled, "/join"))) == "room_not_live"
    ended = RoomFactory(state=RoomState.ENDED)
    assert error_code(auth_client(user).post(url(ended, "/join"))) == "room_ended"
    assert not Participant.objects.exists()


def test_listener_limit(auth_client, room, user, settings):
    settings.ROOM_MAX_LISTENERS = 2
    join(room)
    join(room)
    join(room, role=Role.SPEAKER)  # speakers do not count
    response = auth_client(user).post(url(room, "/join"))
    assert response.status_code == 403
    assert error_code(response) == "room_full"
    assert not Participant.objects.filter(room=room, user=user).exists()


def test_leave_and_rejoin_as_listener(auth_client, room, user):
    join(room, user=user, role=Role.SPEAKER, hand_raised=True, muted_by_host=True)
    client = auth_client(user)
    assert client.post(url(room, "/leave")).status_code == 204
    assert state_of(room, user).left_at is not None
    assert client.post(url(room, "/leave")).status_code == 204  # idempotent
    body = client.post(url(room, "/join")).json()
    assert (body["role"], body["hand_raised"], body["muted_by_host"]) == ("listener", False, False)
    assert state_of(room, user).left_at is None


def test_host_leaving_without_cohost_ends_the_room(auth_client, room, host):
    listener = join(room)
    assert auth_client(host).post(url(room, "/leave")).status_code == 204
    room.refresh_from_db()
    assert room.state == RoomState.ENDED
    assert state_of(room, listener.user).left_at is not None


def test_host_leaving_hands_the_room_to_the_longest_present_cohost(auth_client, room, host):
    first = join(room, role=Role.COHOST)
    join(room, role=Role.COHOST)
    assert auth_client(host).post(url(room, "/leave")).status_code == 204
    room.refresh_from_db()
    assert room.state == RoomState.LIVE
    assert room.host_id == first.user_id
    assert state_of(room, first.user).role == Role.HOST
    # The new host runs the room now; the old one comes back as a listener.
    body = auth_client(host).post(url(room, "/join")).json()
    assert body["role"] == "listener"
    assert auth_client(first.user).post(url(room, "/end")).status_code == 200


def test_raise_and_lower_hand(auth_client, room, user):
    join(room, user=user)
    client = auth_client(user)
    assert client.post(url(room, "/raise_hand")).json()["hand_raised"] is True
    assert client.post(url(room, "/raise_hand")).json()["hand_raised"] is True
    assert state_of(room, user).hand_raised
    assert client.post(url(room, "/lower_hand")).json()["hand_raised"] is False
    assert not state_of(room, user).hand_raised


def test_speakers_do_not_raise_hands_and_strangers_must_join_first(auth_client, room, user, other_user):
    join(room, user=user, role=Role.SPEAKER)
    response = auth_client(user).post(url(room, "/raise_hand"))
    assert response.status_code == 409
    assert error_code(response) == "already_speaker"
    response = auth_client(other_user).post(url(room, "/raise_hand"))
    assert response.status_code == 403
    assert error_code(response) == "not_participant"


# --- speakers and co-hosts --------------------------------------------------------------------------


def speakers_url(room, user):
    return url(room, f"/speakers/{user.username}")


def test_host_promotes_a_listener_with_a_raised_hand(auth_client, room, host):
    listener = join(room, hand_raised=True)
    response = auth_client(host).post(speakers_url(room, listener.user))
    assert response.status_code == 200
    body = response.json()
    assert (body["role"], body["hand_raised"], body["muted"]) == ("speaker", False, True)
    assert state_of(room, listener.user).role == Role.SPEAKER


def test_listener_cannot_promote(auth_client, room):
    listener = join(room)
    other = join(room)
    response = auth_client(listener.user).post(speakers_url(room, other.user))
    assert response.status_code == 403
    assert error_code(response) == "not_moderator"
    response = auth_client(listener.user).post(speakers_url(room, listener.user))
    assert response.status_code == 403
    assert state_of(room, other.user).role == Role.LISTENER
    assert state_of(room, listener.user).role == Role.LISTENER


def test_speaker_cannot_promote(auth_client, room):
    speaker = join(room, role=Role.SPEAKER)
    listener = join(room)
    assert auth_client(speaker.user).post(speakers_url(room, listener.user)).status_code == 403
    assert state_of(room, listener.user).role == Role.LISTENER


def test_cohost_promotes_speakers_but_not_cohosts(auth_client, room):
    cohost = join(room, role=Role.COHOST)
    listener = join(room)
    client = auth_client(cohost.user)
    response = client.post(speakers_url(room, listener.user), {"role": "cohost"}, format="json")
    assert response.status_code == 403
    assert error_code(response) == "not_host"
    assert client.post(speakers_url(room, listener.user)).json()["role"] == "speaker"


def test_host_makes_cohosts_up_to_the_limit(auth_client, room, host, settings):
    settings.ROOM_MAX_COHOSTS = 1
    first, second = join(room), join(room)
    client = auth_client(host)
    assert client.post(speakers_url(room, first.user), {"role": "cohost"}, format="json").json()["role"] == "cohost"
    response = client.post(speakers_url(room, second.user), {"role": "cohost"}, format="json")
    assert response.status_code == 409
    assert error_code(response) == "cohost_limit"
    assert state_of(room, second.user).role == Role.LISTENER


def test_speaker_limit(auth_client, room, host, settings):
    settings.ROOM_MAX_SPEAKERS = 2
    join(room, role=Role.SPEAKER)
    join(room, role=Role.COHOST)  # co-hosts do not count against speakers
    second = join(room)
    third = join(room)
    client = auth_client(host)
    assert client.post(speakers_url(room, second.user)).status_code == 200
    response = client.post(speakers_url(room, third.user))
    assert response.status_code == 409
    assert error_code(response) == "speaker_limit"
    assert state_of(room, third.user).role == Role.LISTENER


def test_invalid_role_and_unknown_targets(auth_client, room, host, other_user):
    listener = join(room)
    client = auth_client(host)
    response = client.post(speakers_url(room, listener.user), {"role": "host"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()["error"]["fields"]
    assert client.post(url(room, "/speakers/nobody_here")).status_code == 404
    response = client.post(speakers_url(room, other_user))  # exists, not in the room
    assert response.status_code == 404
    assert error_code(response) == "not_participant"
    response = client.post(speakers_url(room, host))
    assert response.status_code == 409
    assert error_code(response) == "is_host"


def test_demotion_rules(auth_client, room, host):
    cohost = join(room, role=Role.COHOST)
    speaker = join(room, role=Role.SPEAKER, muted=False)
    other_cohost = join(room, role=Role.COHOST)
    # A co-host demotes a speaker (who is muted again), but not another co-host or the host.
    response = auth_client(cohost.user).delete(speakers_url(room, speaker.user))
    assert (response.json()["role"], response.json()["muted"]) == ("listener", True)
    assert auth_client(cohost.user).delete(speakers_url(room, other_cohost.user)).status_code == 403
    assert error_code(auth_client(cohost.user).delete(speakers_url(room, host))) == "is_host"
    assert state_of(room, other_cohost.user).role == Role.COHOST
    # A listener demotes nobody; the host demotes a co-host; anyone steps down themselves.
    assert auth_client(speaker.user).delete(speakers_url(room, cohost.user)).status_code == 403
    assert auth_client(host).delete(speakers_url(room, other_cohost.user)).json()["role"] == "listener"
    assert auth_client(cohost.user).delete(speakers_url(room, cohost.user)).json()["role"] == "listener"
    assert error_code(auth_client(host).delete(speakers_url(room, host))) == "is_host"
    assert state_of(room, host).role == Role.HOST


# --- mutes -------------------------------------------------------------------------------------------


def test_host_mute_cannot_be_lifted_by_the_speaker(auth_client, room, host):
    speaker = join(room, role=Role.SPEAKER)
    speaker_client = auth_client(speaker.user)
    assert speaker_client.post(url(room, "/unmute")).json()["muted"] is False
    response = auth_client(host).post(url(room, f"/mute/{speaker.user.username}"))
    assert (response.json()["muted"], response.json()["muted_by_host"]) == (True, True)
    response = speaker_client.post(url(room, "/unmute"))
    assert response.status_code == 403
    assert error_code(response) == "muted_by_host"
    assert state_of(room, speaker.user).muted
    # Lifted by the host: still muted until the speaker unmutes.
    lifted = auth_client(host).delete(url(room, f"/mute/{speaker.user.username}")).json()
    assert (lifted["muted"], lifted["muted_by_host"]) == (True, False)
    assert speaker_client.post(url(room, "/unmute")).json()["muted"] is False
    assert speaker_client.post(url(room, "/mute")).json()["muted"] is True


def test_mute_permissions(auth_client, room, host):
    cohost = join(room, role=Role.COHOST)
    speaker = join(room, role=Role.SPEAKER)
    listener = join(room)
    assert auth_client(cohost.user).post(url(room, f"/mute/{speaker.user.username}")).status_code == 200
    assert auth_client(cohost.user).post(url(room, f"/mute/{host.username}")).status_code == 403
    assert auth_client(speaker.user).post(url(room, f"/mute/{cohost.user.username}")).status_code == 403
    assert auth_client(listener.user).delete(url(room, f"/mute/{speaker.user.username}")).status_code == 403
    assert state_of(room, speaker.user).muted_by_host
    assert not state_of(room, cohost.user).muted_by_host
    response = auth_client(host).post(url(room, f"/mute/{listener.user.username}"))
    assert response.status_code == 409
    assert error_code(response) == "not_speaker"
    assert auth_client(host).post(url(room, f"/mute/{cohost.user.username}")).json()["muted_by_host"] is True


def test_listener_cannot_unmute(auth_client, room):
    listener = join(room)
    response = auth_client(listener.user).post(url(room, "/unmute"))
    assert response.status_code == 403
    assert error_code(response) == "not_speaker"
    assert state_of(room, listener.user).muted
