"""The demo page and the OpenAPI schema of the rooms API."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db


def test_demo_page_is_served_without_login(client):
    response = client.get("/rooms/demo/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="login-form"' in html
    assert "rooms/demo.js" in html


def test_demo_script_is_a_static_file():
    from django.contrib.staticfiles import finders

    script = finders.find("rooms/demo.js")
    assert script is not None
    text = Path(script).read_text(encoding="utf-8")
    assert "/ws/rooms/" in text
    assert "RTCPeerConnection" in text


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
