"""The token check's Redis round trip: with rate limits on it goes with the limits (one round trip
before the view), revocation is still seen on the next request, and Redis down still falls back."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.tests.factories import PASSWORD, UserFactory
from twitterclone import redis_wire
from twitterclone.ratelimit import store

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
UNREAD = "/api/v1/notifications/unread_count"


@pytest.fixture
def round_trips(monkeypatch) -> list[list[tuple]]:
    """The commands of every call on a Redis wire, one list per round trip."""
    calls: list[list[tuple]] = []
    execute = redis_wire.Wire.execute

    def recording(self, *commands):
        calls.append([tuple(command) for command in commands])
        return execute(self, *commands)

    monkeypatch.setattr(redis_wire.Wire, "execute", recording)
    return calls


def session(api_client, username: str) -> dict:
    response = api_client.post(LOGIN, {"login": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def get(api_client, access: str, path: str = UNREAD):
    return api_client.get(path, HTTP_AUTHORIZATION=f"Bearer {access}")


def test_with_rate_limits_on_the_token_check_goes_with_the_limits(api_client, round_trips):
    user = UserFactory(username="erin")
    access = session(api_client, "erin")["access"]
    assert get(api_client, access).status_code == 200  # fills the cached version
    round_trips.clear()
    response = get(api_client, access)
    assert response.status_code == 200 and "X-RateLimit-Remaining" in response
    assert len(round_trips) == 1, round_trips
    (limits, token_check) = round_trips[0]
    assert limits[0] == "EVALSHA" and token_check[0] == "MGET"
    assert token_check[1].endswith(f":accounts:token_version:{user.pk}")


def test_a_revoked_token_is_refused_with_rate_limits_on(api_client, round_trips):
    user = UserFactory(username="erin")
    first, second = session(api_client, "erin"), session(api_client, "erin")
    assert get(api_client, first["access"]).status_code == 200
    assert api_client.post(
        LOGOUT, {"refresh": first["refresh"]}, format="json", HTTP_AUTHORIZATION=f"Bearer {first['access']}"
    ).status_code in (200, 204)
    round_trips.clear()
    response = get(api_client, first["access"])  # its family was revoked by the logout
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_revoked"
    assert len(round_trips) == 1  # refused on what the rate limiter read
    assert get(api_client, second["access"]).status_code == 200
    services.sessions_revoke(user=user)  # every session of the user, from "another process"
    assert get(api_client, second["access"]).status_code == 401


def test_with_rate_limits_off_the_token_check_makes_its_own_round_trip(api_client, round_trips, settings):
    settings.RATE_LIMITS_ENABLED = False
    UserFactory(username="erin")
    access = session(api_client, "erin")["access"]
    assert get(api_client, access).status_code == 200
    round_trips.clear()
    assert get(api_client, access).status_code == 200
    assert [[command[0] for command in call] for call in round_trips] == [["MGET"]]


def test_a_script_flushed_from_redis_is_loaded_again(api_client, round_trips, monkeypatch):
    """NOSCRIPT (Redis restarted or flushed its scripts): the limits are sent again with EVAL, and
    the token check, whose reply did not come back with them, reads on its own."""
    monkeypatch.setattr(store, "GCRA_SHA", "0" * 40)  # a script Redis does not know
    UserFactory(username="erin")
    access = session(api_client, "erin")["access"]
    first = get(api_client, access)
    round_trips.clear()
    second = get(api_client, access)
    assert second.status_code == 200
    assert int(second["X-RateLimit-Remaining"]) == int(first["X-RateLimit-Remaining"]) - 1
    assert [[command[0] for command in call] for call in round_trips] == [["EVALSHA", "MGET"], ["EVAL"], ["MGET"]]


def test_with_redis_down_and_rate_limits_on_the_token_check_uses_the_database(api_client, settings):
    user = UserFactory(username="erin")
    access = session(api_client, "erin")["access"]
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there: limits and cache
    settings.CACHES = {
        "default": {
            "BACKEND": "twitterclone.cache.FailFastRedisCache",
            "LOCATION": settings.REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert get(api_client, access).status_code == 200  # the limits fail open, the row says yes
    services.sessions_revoke(user=user)
    assert get(api_client, access).status_code == 401
