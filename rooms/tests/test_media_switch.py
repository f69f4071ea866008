"""A viewer who ``switch``-es to another room's mountpoint is detached at once, by Janus's event
callback (``rooms.media.viewers``), with a real Janus whose sample event handler POSTs to the live
test server: no media check runs. A legitimate watch is left alone; a callback without the
secret is refused, and one with it cannot detach a legitimate viewer (the decision is Janus's
``handle_info``, not the event)."""

from __future__ import annotations

import base64
import time

import httpx
import pytest

pytest.importorskip("aiortc", reason="aiortc is in requirements-dev.txt")

from accounts.tests.factories import UserFactory
from deploy.janus_config import run_janus
from rooms import services
from rooms.media import viewers as viewers_module
from rooms.media.janus import STREAMING
from rooms.tests.factories import live_room
from rooms.tests.peer_loop import closed, media_of, open_peer
from tests.janus_server import janus_available, janus_client, janus_settings

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EVENTS_PATH = "/internal/janus/events"


@pytest.fixture(scope="module")
def janus_with_events(live_server):
    """A Janus whose event handler POSTs to the live server (the one pytest-django runs in a
    thread of this process, on the test database)."""
    if not janus_available():
        pytest.skip("janus is not installed (scripts/install_media.sh; CI's .ci/run does)")
    with run_janus(events_backend=f"{live_server.url}{EVENTS_PATH}") as instance:
        yield instance


@pytest.fixture
def on_janus(settings, janus_with_events, live_server, monkeypatch):
    janus_settings(settings, janus_with_events)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost", "127.0.0.1"]
    checks = []
    monkeypatch.setattr("rooms.media.service.media_check", lambda *a, **k: checks.append(a) or {})
    monkeypatch.setattr("rooms.media.service.media_check_quietly", lambda *a, **k: checks.append(a))
    enforced = []
    real = viewers_module.viewers_enforce

    def recording(viewers):
        detached = real(viewers)
        enforced.append((list(viewers), detached))
        return detached

    monkeypatch.setattr(viewers_module, "viewers_enforce", recording)
    yield janus_with_events, enforced
    assert checks == [], "no media check may run in these tests"


def seen(enforced, peer) -> bool:
    return any((peer.janus.session_id, peer.janus.handle_id) in viewers for viewers, _ in enforced)


def wait_until(predicate, timeout: float) -> float | None:
    """Seconds until ``predicate()`` held, or None after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def test_janus_loads_the_event_handler_pointed_at_our_backend(janus_with_events):
    info = httpx.get(f"{janus_with_events.url}/info").json()
    assert set(info["events"]) == {"janus.eventhandler.sampleevh"}
    conf = (janus_with_events.directory / "janus.eventhandler.sampleevh.jcfg").read_text()
    assert f'backend_pwd = "{janus_with_events.events_secret}"' in conf and 'events = "plugins"' in conf


def test_a_listener_who_switches_to_another_rooms_mountpoint_is_detached_at_once(on_janus, auth_client, peers):
    _janus, enforced = on_janus
    loop, opened = peers
    room_a, room_b = live_room(), live_room()
    switcher, stays_a, stays_b = UserFactory(), UserFactory(), UserFactory()
    for user, room in ((switcher, room_a), (stays_a, room_a), (stays_b, room_b)):
        services.participant_join(room=room, user=user)
    watcher = open_peer(loop, opened, media_of(auth_client, room_a, switcher))
    legit = [
        open_peer(loop, opened, media_of(auth_client, room, user))
        for user, room in [(stays_a, room_a), (stays_b, room_b)]
    ]
    # Their watches ("starting") reached the callback and were looked at, and left alone.
    assert wait_until(lambda: all(seen(enforced, peer) for peer in [watcher, *legit]), 10) is not None
    assert all(detached == [] for _, detached in enforced)
    # The switch: Janus 1.1.2 asks for no pin.
    started = time.monotonic()
    answer = loop.run(watcher.janus.message({"request": "switch", "id": room_b.pk}))
    assert answer.get("janus") == "ack"
    assert loop.run(closed(watcher, timeout=2.0)), f"not detached within 2 s ({time.monotonic() - started:.2f} s)"
    assert [(room_a.pk, switcher.pk, room_b.pk)] in [detached for _, detached in enforced]
    # The others keep watching.
    time.sleep(0.5)
    assert not any(peer.janus.closed.is_set() for peer in legit)
    for room in (room_a, room_b):
        services.room_end(room=room, by_user=room.host)


def _basic(secret: str, user: str = "janus") -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def test_a_callback_without_the_secret_is_refused_and_a_forged_one_detaches_no_legitimate_viewer(
    on_janus, auth_client, peers, live_server
):
    janus, enforced = on_janus
    loop, opened = peers
    room = live_room()
    user = UserFactory()
    services.participant_join(room=room, user=user)
    peer = open_peer(loop, opened, media_of(auth_client, room, user))
    assert wait_until(lambda: seen(enforced, peer), 10) is not None
    forged = [
        {
            "type": 64,
            "session_id": peer.janus.session_id,
            "handle_id": peer.janus.handle_id,
            "event": {"plugin": STREAMING, "data": {"status": "switching", "id": room.pk + 1000}},
        }
    ]
    url = f"{live_server.url}{EVENTS_PATH}"
    for headers in ({}, {"Authorization": _basic("wrong")}, {"Authorization": _basic(janus.events_secret, "x")}):
        refused = httpx.post(url, json=forged, headers=headers)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "not_authenticated"
    calls = len(enforced)
    # With the secret, the event only makes us look: Janus says the handle watches its own room.
    accepted = httpx.post(url, json=forged, headers={"Authorization": _basic(janus.events_secret)})
    assert accepted.status_code == 200 and accepted.json() == {"viewers": 1}
    assert len(enforced) > calls and enforced[-1] == ([(peer.janus.session_id, peer.janus.handle_id)], [])
    time.sleep(0.5)
    assert not peer.janus.closed.is_set()
    with janus_client(janus) as client:
        assert client.admin_handle_info(peer.janus.session_id, peer.janus.handle_id) is not None
    services.room_end(room=room, by_user=room.host)
