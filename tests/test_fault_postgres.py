"""PostgreSQL restarts while the server runs: requests during the outage fail cleanly (503 in the
error envelope, never a traceback), and the server recovers by itself afterwards."""

import time

import httpx
import pytest

from tests.server import migrate, run_server
from tests.services import postgres_bin_dir, private_postgres

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(postgres_bin_dir() is None, reason="needs the PostgreSQL server binaries"),
]

PASSWORD = "correct-horse-battery-staple"


def test_server_answers_503_while_postgres_is_down_and_recovers(tmp_path):
    with private_postgres() as pg:
        env = {
            "DATABASE_URL": pg.url,
            "REDIS_URL": "",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "DB_CONN_MAX_AGE": "60",
            "MEDIA_ROOT": str(tmp_path / "media"),
        }
        migrate(env)
        with run_server(env, log_path=tmp_path / "server.log") as base:
            body = {"username": "pgfault", "email": "pgfault@example.com", "password": PASSWORD}
            registered = httpx.post(f"{base}/api/v1/auth/register", json=body, timeout=10)
            assert registered.status_code == 201
            headers = {"Authorization": f"Bearer {registered.json()['access']}"}
            assert httpx.get(f"{base}/api/v1/users/me", headers=headers).status_code == 200

            pg.stop("fast")
            for path in ("/api/v1/users/me", "/api/v1/users/pgfault"):
                down = httpx.get(f"{base}{path}", headers=headers, timeout=15)
                assert down.status_code == 503, down.text
                assert down.json()["error"]["code"] == "database_unavailable"
                assert down.headers["Retry-After"]
            login = httpx.post(f"{base}/api/v1/auth/login", json={"login": "pgfault", "password": PASSWORD}, timeout=15)
            assert login.status_code == 503
            ready = httpx.get(f"{base}/readyz", timeout=15)
            assert ready.status_code == 503
            assert ready.json()["status"] == "unavailable"
            assert ready.json()["database"] == "unavailable"
            # Liveness does not depend on the database: nothing should restart this process.
            assert httpx.get(f"{base}/healthz", timeout=15).status_code == 200

            pg.start()
            deadline = time.monotonic() + 20
            status = None
            while time.monotonic() < deadline:
                status = httpx.get(f"{base}/api/v1/users/me", headers=headers, timeout=10).status_code
                if status == 200:
                    break
                time.sleep(0.5)
            assert status == 200
            login = httpx.post(f"{base}/api/v1/auth/login", json={"login": "pgfault", "password": PASSWORD}, timeout=10)
            assert login.status_code == 200
