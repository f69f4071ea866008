"""The client's address, behind any number of trusted reverse proxies.

Each proxy appends the address it received the request from to ``X-Forwarded-For``, so with
``TRUSTED_PROXY_COUNT = n`` proxies in front of the server the client is the n-th entry from the
right. Everything left of it was written by the client and is ignored: taking the leftmost entry
would let any client choose its own address (and its own rate-limit budget).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid_address(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[::1]:1234" as some proxies write IPv6
        value = value[1 : value.index("]")]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent ``request``.

    With no trusted proxy (the default) this is the peer address of the connection
    (``REMOTE_ADDR``). With ``TRUSTED_PROXY_COUNT = n`` it is the n-th address from the right of
    ``X-Forwarded-For``; if the header has fewer entries (a request that reached the server past
    some of the proxies), its leftmost entry, which the nearest-to-the-client trusted proxy wrote.
    A missing or malformed entry falls back to ``REMOTE_ADDR``.
    """
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    entries = [entry for entry in (part.strip() for part in forwarded.split(",")) if entry]
    if not entries:
        return remote
    chosen = entries[-trusted] if len(entries) >= trusted else entries[0]
    return _valid_address(chosen) or remote


def client_network(request: HttpRequest) -> str:
    """What per-address limits count against: the client's IPv4 address, or the IPv6 network of
    ``RATE_LIMIT_IPV6_PREFIX`` bits (default 64) its address is in.

    One IPv6 subscriber is routinely given a whole /64 (2^64 addresses): counted per address, a
    single client would have as many budgets as it cares to use addresses. An IPv4-mapped IPv6
    address (``::ffff:192.0.2.1``) counts as its IPv4 address.
    """
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        prefix = settings.RATE_LIMIT_IPV6_PREFIX
        return str(ipaddress.IPv6Network((parsed, prefix), strict=False))
    return address
