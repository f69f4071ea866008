"""Shared fixtures: users, API clients, markers for tests that need real services."""

from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory

PASSWORD = "correct-horse-battery-staple"


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)")
    skip_redis = pytest.mark.skip(reason="needs Redis: set REDIS_URL (CI does)")
    for item in items:
        if "postgres" in item.keywords and not settings.IS_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    """Every test gets its own media folder, mail outbox and an empty cache (throttle counters)."""
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # Fast hashing in tests; the real servers started by end-to-end tests use the default hashers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from twitterclone.celery import app

    app.conf.task_always_eager = True
    from twitterclone.cache import reset_breaker

    reset_breaker()  # a test that broke Redis on purpose must not leave the next one failing fast
    from tweets.hydration import forget_local

    forget_local()  # the per-process hydration entries, like the cache below
    try:
        cache.clear()
    except Exception:  # Redis may be down on purpose in fault tests
        pass
    yield


@pytest.fixture(autouse=True)
def _close_socket_thread_connections(_django_db_helper):
    """Sockets run their database work on threads of their own (twitterclone.socket_threads);
    close those threads' connections after each test, before the test database is flushed
    (pytest-django's ``_django_db_helper`` flushes it: depending on it orders our teardown first)."""
    yield
    from twitterclone.socket_threads import close_socket_database_connections

    close_socket_database_connections()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def auth_client():
    """``auth_client(user)`` gives an APIClient that sends that user's Bearer access token."""
    from accounts.services import tokens_for

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['access']}")
        client.user = user
        return client

    return make


@pytest.fixture(scope="module")
def janus_server():
    """A real Janus on loopback with the repository's configuration, one per test module
    (``tests/janus_server.py``); skips when Janus is not installed (scripts/install_media.sh)."""
    from deploy.janus_config import run_janus
    from tests.janus_server import janus_available

    if not janus_available():
        pytest.skip("janus is not installed (scripts/install_media.sh; CI's .ci/run does)")
    with run_janus() as instance:
        yield instance
