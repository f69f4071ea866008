"""Each event is logged once: no duplicate handlers, no warning per 4xx, one record per 500,
and no start-up noise on embedded defaults."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@api_view(["GET"])
@permission_classes([AllowAny])
def boom(request):
    raise RuntimeError("boom")


from twitterclone.urls import urlpatterns as project_urlpatterns  # noqa: E402

urlpatterns = [path("api/v1/test/boom", boom), *project_urlpatterns]


def test_client_errors_are_not_logged_as_warnings(client, caplog):
    with caplog.at_level(logging.INFO):
        assert client.get("/api/v1/users/nobody").status_code == 404
        assert client.post("/api/v1/auth/login", {}, content_type="application/json").status_code == 400
        assert client.get("/api/v1/users/me").status_code == 401
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_500_is_logged_once_with_its_traceback(settings, client, caplog):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    with caplog.at_level(logging.INFO):
        assert client.get("/api/v1/test/boom").status_code == 500
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None


def test_django_records_go_through_the_root_handler_only():
    """Django's default config adds a console handler to "django"; with ours on root, every
    django.* record was printed twice."""
    django_logger = logging.getLogger("django")
    assert django_logger.handlers == []
    assert django_logger.propagate


def test_embedded_defaults_start_without_env_file_or_broker_host_warnings(tmp_path):
    """No .env file and no Redis: neither django-environ's ".env not found" nor kombu's
    "No hostname was supplied" (the eager Celery app still builds its connection pool)."""
    script = (
        "import logging; logging.basicConfig(level=logging.INFO)\n"  # as daphne's CLI does
        "import django; django.setup()\n"
        "from twitterclone.celery import app\n"
        "with app.pool.acquire(block=True) as connection: connection.as_uri()\n"
        "print('ok')\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DATABASE_URL", "CELERY_BROKER_URL") and not key.startswith("PYTEST")
    }
    env.update(DJANGO_SETTINGS_MODULE="twitterclone.settings", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert not (ROOT / ".env").exists()
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert ".env" not in result.stderr
    assert "No hostname" not in result.stderr
