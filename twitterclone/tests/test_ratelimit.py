import time
from unittest import mock

import pytest

from accounts.tests.factories import PASSWORD, UserFactory
from twitterclone.ratelimit import parse_rate

pytestmark = pytest.mark.django_db


def limit(settings, name, rate, per=None):
    per = per or settings.RATE_LIMITS[name]["per"]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, name: {"rate": rate, "per": per}}


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("300/5m", (300, 300)), ("5/30min", (5, 1800)), ("10/h", (10, 3600)), ("1/d", (1, 86400)), ("7/s", (7, 1))],
)
def test_parse_rate(rate, expected):
    assert parse_rate(rate) == expected


def test_every_api_response_has_rate_limit_headers(auth_client, user):
    response = auth_client(user).get("/api/v1/users/me")
    assert response.status_code == 200
    assert response["X-RateLimit-Limit"] == "300"
    assert response["X-RateLimit-Remaining"] == "299"
    assert int(response["X-RateLimit-Reset"]) > time.time()


def test_general_limit_is_per_user(settings, auth_client, user, other_user):
    limit(settings, "api", "3/5m")
    client = auth_client(user)
    for _ in range(3):
        assert client.get("/api/v1/users/me").status_code == 200
    response = client.get("/api/v1/users/me")
    assert response.status_code == 429
    body = response.json()
    assert body["error"]["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 300
    assert response["X-RateLimit-Remaining"] == "0"
    # Another user has a budget of their own.
    assert auth_client(other_user).get("/api/v1/users/me").status_code == 200


def test_general_limit_is_per_ip_for_anonymous_clients(settings, client):
    limit(settings, "api", "2/5m")
    assert client.get("/api/v1/users/nobody", REMOTE_ADDR="10.0.0.1").status_code == 404
    assert client.get("/api/v1/users/nobody", REMOTE_ADDR="10.0.0.1").status_code == 404
    assert client.get("/api/v1/users/nobody", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get("/api/v1/users/nobody", REMOTE_ADDR="10.0.0.2").status_code == 404


def test_login_is_limited_per_login_name_across_ips(settings, api_client):
    UserFactory(username="target")
    limit(settings, "login_name", "3/1h")
    for index in range(3):
        response = api_client.post(
            "/api/v1/auth/login",
            {"login": "target", "password": "wrong"},
            format="json",
            REMOTE_ADDR=f"10.0.1.{index}",
        )
        assert response.status_code == 401
    response = api_client.post(
        "/api/v1/auth/login", {"login": "TARGET", "password": PASSWORD}, format="json", REMOTE_ADDR="10.0.2.1"
    )
    assert response.status_code == 429
    # Another account is not affected.
    UserFactory(username="bystander")
    ok = api_client.post("/api/v1/auth/login", {"login": "bystander", "password": PASSWORD}, format="json")
    assert ok.status_code == 200


def test_register_is_limited_per_ip(settings, api_client):
    limit(settings, "register_ip", "1/5m")
    body = {"username": "one", "email": "one@example.com", "password": PASSWORD}
    assert api_client.post("/api/v1/auth/register", body, format="json").status_code == 201
    body = {"username": "two", "email": "two@example.com", "password": PASSWORD}
    assert api_client.post("/api/v1/auth/register", body, format="json").status_code == 429
    assert api_client.post("/api/v1/auth/register", body, format="json", REMOTE_ADDR="10.9.9.9").status_code == 201


def test_rate_limits_fail_open_when_the_cache_is_down(settings, auth_client, user):
    limit(settings, "api", "1/5m")
    with mock.patch("twitterclone.ratelimit.cache.add", side_effect=ConnectionError("redis down")):
        for _ in range(3):
            assert auth_client(user).get("/api/v1/users/me").status_code == 200


def test_rate_limits_can_be_disabled(settings, auth_client, user):
    settings.RATE_LIMITS_ENABLED = False
    limit(settings, "api", "1/5m")
    client = auth_client(user)
    assert client.get("/api/v1/users/me").status_code == 200
    response = client.get("/api/v1/users/me")
    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response


def test_non_api_paths_are_not_limited(settings, client):
    limit(settings, "api", "1/5m")
    for _ in range(3):
        assert client.get("/healthz").status_code == 200


@pytest.mark.redis
def test_counters_are_shared_through_redis(settings, auth_client, user):
    """With REDIS_URL the counters live in Redis, so all server processes share them."""
    import redis

    limit(settings, "api", "2/5m")
    client = auth_client(user)
    client.get("/api/v1/users/me")
    keys = redis.Redis.from_url(settings.REDIS_URL).keys(f"*rl:api:user:{user.pk}:*")
    assert len(keys) == 1
