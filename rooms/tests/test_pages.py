"""The demo page and the OpenAPI schema of the rooms API."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db


DEMO_SCRIPTS = ["janus-client.js", "media-janus.js", "media-p2p.js", "room.js", "demo.js"]


def test_demo_page_is_served_without_login(client):
    response = client.get("/rooms/demo/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="login-form"' in html
    # The modules load in dependency order, each from /static/rooms/.
    assert re.findall(r'<script src="/static/rooms/([^"]+)"', html) == DEMO_SCRIPTS


def test_demo_scripts_are_static_files_under_400_lines():
    from django.contrib.staticfiles import finders

    texts = {}
    for name in DEMO_SCRIPTS:
        script = finders.find(f"rooms/{name}")
        assert script is not None, name
        texts[name] = Path(script).read_text(encoding="utf-8")
        assert len(texts[name].splitlines()) <= 400, name
    assert "/ws/rooms/" in texts["room.js"]
    assert "RTCPeerConnection" in texts["media-p2p.js"] and "RTCPeerConnection" in texts["media-janus.js"]
    assert "janus.plugin.audiobridge" in texts["media-janus.js"] and "janus.plugin.streaming" in texts["media-janus.js"]


def test_every_room_endpoint_is_in_the_schema(api_client):
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/api/v1/rooms": {"get", "post"},
        "/api/v1/rooms/{id}": {"get", "patch", "delete"},
        "/api/v1/rooms/{id}/start": {"post"},
        "/api/v1/rooms/{id}/end": {"post"},
        "/api/v1/rooms/{id}/join": {"post"},
        "/api/v1/rooms/{id}/leave": {"post"},
        "/api/v1/rooms/{id}/raise_hand": {"post"},
        "/api/v1/rooms/{id}/lower_hand": {"post"},
        "/api/v1/rooms/{id}/mute": {"post"},
        "/api/v1/rooms/{id}/unmute": {"post"},
        "/api/v1/rooms/{id}/speakers/{username}": {"post", "delete"},
        "/api/v1/rooms/{id}/mute/{username}": {"post", "delete"},
        "/api/v1/rooms/ice_servers": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    room = response.json()["components"]["schemas"]["Room"]["properties"]
    assert {"participants", "listener_count", "speaker_count", "state", "host"} <= set(room)
