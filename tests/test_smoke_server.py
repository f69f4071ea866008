"""The real server process on embedded defaults (SQLite, no Redis) registers a user over HTTP."""

import httpx
import pytest

from tests.server import migrate, run_server

pytestmark = pytest.mark.slow


def test_server_on_embedded_defaults_registers_a_user(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'smoke.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    migrate(env)
    with run_server(env) as base:
        health = httpx.get(f"{base}/healthz")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "database": "ok", "redis": "not_configured"}
        root = httpx.get(f"{base}/api/v1/")
        assert root.status_code == 200
        assert root.json()["links"]["docs"] == f"{base}/api/v1/docs/"
        landing = httpx.get(f"{base}/")
        assert landing.status_code == 200
        assert 'href="/api/v1/"' in landing.text

        body = {"username": "smoke", "email": "smoke@example.com", "password": "correct-horse-battery-staple"}
        response = httpx.post(f"{base}/api/v1/auth/register", json=body)
        assert response.status_code == 201, response.text
        access = response.json()["access"]

        me = httpx.get(f"{base}/api/v1/users/me", headers={"Authorization": f"Bearer {access}"})
        assert me.status_code == 200
        assert me.json()["username"] == "smoke"

        missing = httpx.get(f"{base}/api/v1/no-such-endpoint")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"

        docs = httpx.get(f"{base}/api/v1/docs/")
        assert docs.status_code == 200
        admin = httpx.get(f"{base}/admin/login/")
        assert admin.status_code == 200
