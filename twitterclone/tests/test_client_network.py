"""Per-address rate limits count an IPv6 client by its /64 (twitterclone/clientip.py): one
subscriber holds a whole /64, and per address it would have 2^64 login budgets."""

from __future__ import annotations

import pytest

from twitterclone.clientip import client_network

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("remote", "prefix", "expected"),
    [
        ("203.0.113.7", 64, "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:2:aaaa::1", 48, "2001:db8:1::/48"),
        ("2001:db8::1", 128, "2001:db8::1/128"),
        ("::ffff:198.51.100.4", 64, "198.51.100.4"),
    ],
)
def test_client_network(settings, rf, remote, prefix, expected):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.RATE_LIMIT_IPV6_PREFIX = prefix
    assert client_network(rf.get("/", REMOTE_ADDR=remote)) == expected


def test_behind_the_proxy_the_network_is_of_the_forwarded_address(settings, rf):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9, 2001:db8:5:6::77")
    assert client_network(request) == "2001:db8:5:6::/64"


def test_login_attempts_from_one_ipv6_64_share_one_budget(settings, api_client):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_ip": {"rate": "3/5m", "per": "ip"}}
    attempt = {"login": "nobody_here", "password": "wrong-password-123"}

    def login(address: str) -> int:
        return api_client.post("/api/v1/auth/login", attempt, format="json", REMOTE_ADDR=address).status_code

    # A fresh address of the same /64 for every attempt: still one client.
    assert [login(f"2001:db8:7:7::{n}") for n in range(1, 4)] == [401, 401, 401]
    assert login("2001:db8:7:7::99") == 429
    assert login("2001:db8:7:8::1") == 401  # another /64, another client


def test_admin_login_attempts_from_one_ipv6_64_share_one_budget(settings, client):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "admin_login_ip": {"rate": "2/5m", "per": "ip"}}

    def attempt(address: str) -> int:
        response = client.post(
            "/admin/login/", {"username": f"u{address[-2:]}", "password": "wrong"}, REMOTE_ADDR=address
        )
        return response.status_code

    assert [attempt(f"2001:db8:9:9::{n}") for n in (11, 12)] == [200, 200]
    assert attempt("2001:db8:9:9::13") == 429
    assert attempt("2001:db8:9:a::11") == 200
