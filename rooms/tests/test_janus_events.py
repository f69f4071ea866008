"""``POST /internal/janus/events`` without a Janus (the end to end test is test_media_switch.py):
off unless configured, the secret, JSON errors for junk, what is handed to the task."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client

from rooms.media.janus import STREAMING
from rooms.media.viewers import viewer_events, watches_another_room
from tests.hostile_bodies import HOSTILE_JSON_BODIES

URL = "/internal/janus/events"
SECRET = "s3cret-value"


def auth(secret: str = SECRET, user: str = "janus") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def event(status: str = "switching", session_id=11, handle_id=22, mountpoint=5, plugin=STREAMING, kind=64) -> dict:
    return {
        "type": kind,
        "session_id": session_id,
        "handle_id": handle_id,
        "opaque_id": "tc-r5-u1",
        "event": {"plugin": plugin, "data": {"status": status, "id": mountpoint}},
    }


@pytest.fixture
def enabled(settings, monkeypatch):
    settings.JANUS_URL = "http://127.0.0.1:9/janus"
    settings.JANUS_EVENTS_SECRET = SECRET
    sent = []
    monkeypatch.setattr("rooms.tasks.media_viewers_enforce.delay", lambda viewers: sent.append(viewers))
    return sent


def post(body, **headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return Client().post(URL, data=data, content_type="application/json", **headers)


@pytest.mark.parametrize("janus_url,secret", [("", SECRET), ("http://127.0.0.1:9/janus", "")])
def test_the_callback_does_not_exist_unless_configured(settings, janus_url, secret):
    settings.JANUS_URL, settings.JANUS_EVENTS_SECRET = janus_url, secret
    response = post([event()], **auth())
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "headers",
    [{}, auth("wrong"), auth(SECRET, "other"), {"HTTP_AUTHORIZATION": "Bearer " + SECRET}, {"HTTP_AUTHORIZATION": "é"}],
)
def test_the_callback_needs_the_secret(enabled, headers):
    response = post([event()], **headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Basic" and enabled == []


@pytest.mark.parametrize("body", ["not json", "3", '"x"', "[1, 2]", "[[]]", json.dumps([event()] * 1001), b"\xff"])
def test_junk_is_a_json_400(enabled, body):
    response = post(body, **auth())
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid" and enabled == []


@pytest.mark.parametrize("name", sorted(HOSTILE_JSON_BODIES))
def test_hostile_bodies_are_a_json_400(enabled, name):
    response = post(HOSTILE_JSON_BODIES[name], **auth())
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid" and enabled == []


def test_only_post(enabled):
    response = Client().get(URL, **auth())
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"


def test_viewers_starting_or_switching_go_to_the_task_once_each(enabled):
    batch = [
        event("starting", 1, 2),
        event("switching", 1, 2),  # the same handle again
        event("switching", 3, 4),
        event("pausing", 5, 6),
        event("stopping", 7, 8),
        event(plugin="janus.plugin.audiobridge", session_id=9, handle_id=10),
        event(kind=2, session_id=11, handle_id=12),  # a handle event, not a plugin one
        event(session_id="1", handle_id=True),  # not ids
        event(status=["starting"], session_id=13, handle_id=14),  # not a status (unhashable: was a 500)
        event(status={"starting": 1}, session_id=15, handle_id=16),
        {"type": 64, "event": "x"},
        {},
    ]
    response = post(batch, **auth())
    assert response.status_code == 200 and response.json() == {"viewers": 2}
    assert enabled == [[[1, 2], [3, 4]]]
    # One event, not grouped, is an object.
    assert post(event(), **auth()).json() == {"viewers": 1}
    assert post([event("stopping")], **auth()).json() == {"viewers": 0} and len(enabled) == 2


def test_viewer_events_and_the_rule():
    assert viewer_events([]) == []
    with pytest.raises(ValueError):
        viewer_events(["x"])
    mine = {"token": "1,janus,janus.plugin.streaming,tc-r5-u7:sig", "plugin": STREAMING}
    assert watches_another_room({**mine, "plugin_specific": {"mountpoint_id": 5}}) is None
    assert watches_another_room({**mine, "plugin_specific": {}}) is None
    assert watches_another_room({**mine, "plugin_specific": {"mountpoint_id": 6}}) == (5, 7)
    assert watches_another_room({"plugin": STREAMING, "plugin_specific": {"mountpoint_id": 6}}) is None  # not ours


def test_janus_calls_it_over_plain_http_even_where_https_is_enforced(enabled, settings):
    from twitterclone.settings import api

    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = api.SECURE_REDIRECT_EXEMPT
    assert post([event()], **auth()).status_code == 200
    assert Client().get("/api/v1/").status_code == 301  # the rest of the site is redirected
