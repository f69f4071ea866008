"""Fixtures of the tweets and social tests."""

from __future__ import annotations

import pytest

from tests.feeds_state import forget_feeds
from tweets import feeds


@pytest.fixture(autouse=True)
def _clean_feeds():
    """Each test starts with no Redis feeds of ours (ids are reused between test databases)
    and no memory of an earlier Redis failure."""
    forget_feeds()
    yield
    feeds.reset_redis_state()


@pytest.fixture
def post(auth_client):
    """``post(user, text, **fields)`` posts a tweet through the API and returns its JSON."""

    def make(user, text="hello world", **fields):
        response = auth_client(user).post("/api/v1/tweets", {"text": text, **fields}, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return make
