import logging
import time

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


@pytest.mark.parametrize("rate", ["0/5m", "5/5x", "5"])
def test_parse_rate_refuses_bad_rates(rate):
    with pytest.raises(ValueError):
        parse_rate(rate)


def test_every_api_response_has_rate_limit_headers(auth_client, user):
    response = auth_client(user).get("/api/v1/users/me")
    assert response.status_code == 200
    assert response["X-RateLimit-Limit"] == "300"
    assert response["X-RateLimit-Remaining"] == "299"
    # The budget is whole again one interval (5 min / 300 = 1 s) after a single request.
    assert time.time() < int(response["X-RateLimit-Reset"]) <= time.time() + 2


def test_general_limit_is_per_user(settings, auth_client, user, other_user):
    limit(settings, "api", "3/5m")
    client = auth_client(user)
    for _ in range(3):
        assert client.get("/api/v1/users/me").status_code == 200
    response = client.get("/api/v1/users/me")
    assert response.status_code == 429
    body = response.json()
    assert body["error"]["code"] == "throttled"
    # One request comes back every 100 s (3 per 5 minutes).
    assert 99 <= int(response["Retry-After"]) <= 100
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


def test_a_refused_request_spends_nothing_from_its_other_limits(settings, api_client):
    """The login_name budget is not spent by requests the per-IP limit refuses, and vice versa."""
    UserFactory(username="target")
    limit(settings, "login_ip", "2/1h")
    limit(settings, "login_name", "3/1h")
    attempt = {"login": "target", "password": "wrong"}
    for _ in range(2):
        assert api_client.post("/api/v1/auth/login", attempt, format="json").status_code == 401
    for _ in range(5):  # refused by login_ip: not counted against the name
        assert api_client.post("/api/v1/auth/login", attempt, format="json").status_code == 429
    assert api_client.post("/api/v1/auth/login", attempt, format="json", REMOTE_ADDR="10.7.7.7").status_code == 401
    assert api_client.post("/api/v1/auth/login", attempt, format="json", REMOTE_ADDR="10.7.7.8").status_code == 429


def test_rate_limits_fail_open_when_redis_is_down(settings, auth_client, user, caplog):
    """A real unreachable Redis (nothing listens on port 1): requests pass, one warning is logged."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    limit(settings, "api", "1/5m")
    import twitterclone.ratelimit as ratelimit

    ratelimit._last_warning = 0.0
    with caplog.at_level(logging.WARNING, logger="twitterclone.ratelimit"):
        for _ in range(3):
            response = auth_client(user).get("/api/v1/users/me")
            assert response.status_code == 200
            assert "X-RateLimit-Limit" not in response
    warnings = [r for r in caplog.records if r.name == "twitterclone.ratelimit"]
    assert len(warnings) == 1


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


# --- Browsers: CORS and preflights -----------------------------------------------------------

ORIGIN = "https://app.example.com"


def test_a_429_carries_the_cors_headers_so_a_browser_can_read_it(settings, client):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    limit(settings, "api", "1/5m")
    assert client.get("/api/v1/users/nobody", HTTP_ORIGIN=ORIGIN).status_code == 404
    response = client.get("/api/v1/users/nobody", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 429
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= exposed
    assert int(response["Retry-After"]) >= 1


def test_preflight_requests_are_not_counted(settings, client):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    limit(settings, "api", "2/5m")
    preflight = {"HTTP_ORIGIN": ORIGIN, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"}
    for _ in range(5):
        response = client.options("/api/v1/users/nobody", **preflight)
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert client.get("/api/v1/users/nobody", HTTP_ORIGIN=ORIGIN).status_code == 404
    assert client.get("/api/v1/users/nobody", HTTP_ORIGIN=ORIGIN).status_code == 404
    assert client.get("/api/v1/users/nobody", HTTP_ORIGIN=ORIGIN).status_code == 429
    # Even a preflight from an origin CORS does not allow is not counted (nor answered with a 429).
    assert (
        client.options(
            "/api/v1/users/nobody", HTTP_ORIGIN="https://evil.example", **{"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"}
        ).status_code
        == 200
    )


# --- Behind proxies ------------------------------------------------------------------------


def test_with_no_trusted_proxy_x_forwarded_for_is_ignored(settings, client):
    settings.TRUSTED_PROXY_COUNT = 0
    limit(settings, "api", "2/5m")
    for index in range(2):
        headers = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": f"203.0.113.{index}"}
        assert client.get("/api/v1/users/nobody", **headers).status_code == 404
    headers = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.99"}
    assert client.get("/api/v1/users/nobody", **headers).status_code == 429


def test_behind_one_proxy_a_spoofed_leftmost_address_gains_no_budget(settings, client):
    """nginx appends the real peer: "<whatever the client wrote>, <client>"; only the last counts."""
    settings.TRUSTED_PROXY_COUNT = 1
    limit(settings, "api", "2/5m")
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for index in range(2):
        spoofed = f"198.51.100.{index}, 203.0.113.7"
        assert client.get("/api/v1/users/nobody", HTTP_X_FORWARDED_FOR=spoofed, **proxy).status_code == 404
    refused = client.get("/api/v1/users/nobody", HTTP_X_FORWARDED_FOR="198.51.100.200, 203.0.113.7", **proxy)
    assert refused.status_code == 429
    # Another real client behind the same proxy has its own budget.
    assert client.get("/api/v1/users/nobody", HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy).status_code == 404


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.1"),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "1.1.1.1, 203.0.113.7", "203.0.113.7"),
        (1, "1.1.1.1,203.0.113.7 ", "203.0.113.7"),
        (2, "1.1.1.1, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (2, "203.0.113.7", "203.0.113.7"),  # fewer entries than proxies: the nearest proxy's entry
        (1, "", "10.0.0.1"),
        (1, "not-an-address", "10.0.0.1"),
        (1, "1.1.1.1, <script>", "10.0.0.1"),
        (1, "[2001:db8::1]", "2001:db8::1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_takes_the_right_entry_of_x_forwarded_for(settings, rf, count, forwarded, expected):
    from twitterclone.clientip import client_ip

    settings.TRUSTED_PROXY_COUNT = count
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_rules_are_compiled_again_when_the_setting_changes(settings, rf):
    from twitterclone.ratelimit import limits_for

    request = rf.post("/api/v1/tweets")
    assert limits_for(request) == ["api", "post"]
    settings.RATE_LIMIT_RULES = [("POST", r"^/api/v1/tweets$", ["delete"])]
    assert limits_for(request) == ["api", "delete"]
