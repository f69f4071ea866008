"""The HTTP and WebSocket API: REST framework, the OpenAPI schema, rate limits, CORS, socket
limits and production security headers."""

from django.core.exceptions import ImproperlyConfigured

from .core import DEBUG, env

# --- REST framework -----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # orjson (twitterclone/jsoncodec.py): the same JSON as DRF's renderer, several times faster.
    "DEFAULT_RENDERER_CLASSES": ["twitterclone.jsoncodec.OrjsonRenderer"],
    # JSON in and out (the contract). Only PATCH /users/me also takes multipart, for the avatar:
    # daphne (Twisted) parses multipart POST bodies itself and answers a malformed one with a bare 400.
    "DEFAULT_PARSER_CLASSES": ["twitterclone.jsoncodec.OrjsonParser"],
    # DRF's negotiation, remembered per Accept header (406 and ?format= still DRF's each time).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "twitterclone.negotiation.MemoizedContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "twitterclone.pagination.IdCursorPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "twitterclone.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "twitterclone.schema.StrictAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_THROTTLE_RATES": {},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "twitterclone API",
    "DESCRIPTION": "REST API of twitterclone, a Twitter-like social network backend. "
    "Authenticate with `Authorization: Bearer <access token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
    # The schemas of the custom path converters (twitterclone/converters.py): ``username`` is
    # documented from its regex; ``id`` is an integer (the same as converters.ID_SCHEMA).
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}},
    # The docs page's JavaScript and CSS are served by this server (no CDN needed).
    "SWAGGER_UI_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "twitterclone.schema.add_error_responses",
        # After ours: the Mastodon client API's operations, with Mastodon's error shape (mastodon_api/openapi/).
        "mastodon_api.openapi.hook.add_mastodon_operations",
    ],
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Rate limits (twitterclone/ratelimit/), modelled on Mastodon's -----------------
# Each rate is "N/<k><unit>" (s, m, h, d): a GCRA bucket of N that refills one every period/N, kept
# in Redis when set (one round trip per request), else in the local-memory cache.
# Override any rate with the environment: RATE_LIMIT_<NAME>=N/period, e.g. RATE_LIMIT_API=600/5m.
RATE_LIMITS_ENABLED = env.bool("RATE_LIMITS_ENABLED", default=True)
RATE_LIMIT_KEY_PREFIX = env("RATE_LIMIT_KEY_PREFIX", default="rl")
# Reverse proxies in front of the server that append to X-Forwarded-For (1 behind one nginx). The
# client address is that many entries from the right of the header; 0 uses the connection's peer.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Per-address limits count an IPv6 client by the network of this many bits its address is in (a
# subscriber usually has a whole /64); IPv4 clients by their address (twitterclone/clientip.py).
RATE_LIMIT_IPV6_PREFIX = env.int("RATE_LIMIT_IPV6_PREFIX", default=64)
if not 1 <= RATE_LIMIT_IPV6_PREFIX <= 128:
    raise ImproperlyConfigured("RATE_LIMIT_IPV6_PREFIX is a prefix length from 1 to 128.")
_DEFAULT_RATE_LIMITS = {
    # Every API request, per user (valid Bearer token) or else per IP.
    "api": ("300/5m", "user_or_ip"),
    "register_ip": ("25/5m", "ip"),
    "login_ip": ("25/5m", "ip"),
    "login_name": ("25/1h", "field:login"),
    "refresh_ip": ("60/5m", "ip"),
    "password_reset_ip": ("25/5m", "ip"),
    "password_reset_email": ("5/30m", "field:email"),
    "password_reset_confirm_ip": ("25/5m", "ip"),
    "password_reset_confirm_email": ("10/30m", "field:email"),
    "post": ("300/3h", "user"),
    "delete": ("30/30m", "user"),
    "follow": ("400/1d", "user"),
    "report": ("50/1d", "user"),
    # Mastodon clients' OAuth endpoints (the password grant and the sign-in page check passwords).
    "oauth_token_ip": ("60/5m", "ip"),
    "oauth_login_name": ("25/1h", "field:username"),
    # The admin's login form (moderation/admin_site.py), per client address and per username.
    "admin_login_ip": ("10/5m", "ip"),
    "admin_login_name": ("10/1h", "field:username"),
}
RATE_LIMITS = {
    name: {"rate": env(f"RATE_LIMIT_{name.upper()}", default=rate), "per": per}
    for name, (rate, per) in _DEFAULT_RATE_LIMITS.items()
}
RATE_LIMIT_RULES = [
    ("POST", r"^/api/v1/auth/register$", ["register_ip"]),
    ("POST", r"^/api/v1/auth/login$", ["login_ip", "login_name"]),
    ("POST", r"^/api/v1/auth/token/refresh$", ["refresh_ip"]),
    ("POST", r"^/api/v1/auth/password/reset$", ["password_reset_ip", "password_reset_email"]),
    ("POST", r"^/api/v1/auth/password/reset/confirm$", ["password_reset_confirm_ip", "password_reset_confirm_email"]),
    ("POST", r"^/api/v1/tweets$", ["post"]),
    ("POST", r"^/api/v1/tweets/[^/]+/retweet$", ["post"]),
    ("DELETE", r"^/api/v1/tweets/[^/]+$", ["delete"]),
    ("POST", r"^/api/v1/users/[^/]+/follow$", ["follow"]),
    ("POST", r"^/api/v1/reports$", ["report"]),
    ("POST", r"^/oauth/token/?$", ["oauth_token_ip", "oauth_login_name"]),
    # The Mastodon client API's writes count against the same per-user limits as ours.
    ("POST", r"^/api/v1/statuses/?$", ["post"]),
    ("POST", r"^/api/v1/statuses/[^/]+/reblog/?$", ["post"]),
    ("DELETE", r"^/api/v1/statuses/[^/]+/?$", ["delete"]),
    ("POST", r"^/api/v1/accounts/[^/]+/follow/?$", ["follow"]),
    ("POST", r"^/oauth/login/?$", ["login_ip", "login_name"]),
]

# --- CORS and security ----------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
# Browsers may read these on cross-origin responses (Retry-After is not CORS-safelisted).
CORS_EXPOSE_HEADERS = ["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]
# WebSocket Origin checks: origins allowed to open sockets beyond ALLOWED_HOSTS.
WEBSOCKET_ALLOWED_ORIGINS = env.list("WEBSOCKET_ALLOWED_ORIGINS", default=[])
WEBSOCKET_MAX_FRAME_BYTES = env.int("WEBSOCKET_MAX_FRAME_BYTES", default=64 * 1024)
# Threads per server process for the sockets' database work (each keeps a database connection);
# HTTP views run elsewhere (granian's threads; under daphne, asgiref's shared thread), so neither
# waits on the other (twitterclone/socket_threads.py).
WEBSOCKET_DATABASE_THREADS = env.int("WEBSOCKET_DATABASE_THREADS", default=4)
# Frames a client may send on one socket: a burst, then a steady rate (a token bucket). Frames over
# it get an `error` frame `rate_limited` and are dropped; after WEBSOCKET_FLOOD_CLOSE_AFTER dropped
# frames in a row the socket is closed with 4429.
WEBSOCKET_FRAME_BURST = env.int("WEBSOCKET_FRAME_BURST", default=200)
WEBSOCKET_FRAME_RATE_PER_SECOND = env.float("WEBSOCKET_FRAME_RATE_PER_SECOND", default=50.0)
WEBSOCKET_FLOOD_CLOSE_AFTER = env.int("WEBSOCKET_FLOOD_CLOSE_AFTER", default=50)
# After such a close, the user's new sockets are closed with 4429 at once for this long.
WEBSOCKET_FLOOD_COOLDOWN_SECONDS = env.int("WEBSOCKET_FLOOD_COOLDOWN_SECONDS", default=30)
# Every open socket's access token is checked again this often (twitterclone/session_watch.py):
# a socket whose session was revoked closes with 4001 even if the session.revoked push was lost.
WEBSOCKET_SESSION_CHECK_SECONDS = env.float("WEBSOCKET_SESSION_CHECK_SECONDS", default=5.0)

# Not redirected to HTTPS: the health checks, and Janus's event callback (Janus calls it over the
# compose network, plain HTTP; nginx hides /internal/ from outside).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^internal/janus/events$"]

if not DEBUG:
    # Only behind a proxy that sets X-Forwarded-Proto (nginx replaces the client's): without one the
    # header is the client's own, and any client could pass for HTTPS.
    if TRUSTED_PROXY_COUNT > 0:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    # Both commit every subdomain (and, once submitted to the preload list, every browser) to HTTPS
    # for SECURE_HSTS_SECONDS: turn them off where some subdomain is still served over plain HTTP.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# The benchmark ceiling endpoint (bench/timeline.py turns it on for its server only).
BENCHMARK_ENDPOINTS = env.bool("BENCHMARK_ENDPOINTS", default=False)
