"""Settings for twitterclone, read from the environment through django-environ.

With no environment at all the project runs on embedded defaults: SQLite, the
in-memory channel layer, an in-process cache, Celery tasks run eagerly and mail
printed to the console. ``DATABASE_URL`` switches to PostgreSQL (psycopg 3) and
``REDIS_URL`` to Redis for the cache, the channel layer and Celery.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():  # optional: without the check django-environ logs that it is missing
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# The development key is only ever used with DEBUG on; production must set its own.
SECRET_KEY = env(
    "SECRET_KEY",
    default="dev-insecure-3f1e0b6c2a7d48e59c0b1f7a9e8d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19087"
    if DEBUG
    else environ.Env.NOTSET,
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "moderation.admin_config.AdminSiteConfig",  # django.contrib.admin with a two-factor, rate-limited login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_otp",
    "oauth2_provider",
    "django_otp.plugins.otp_totp",
    "accounts",
    "social",
    "tweets",
    "notifications",
    "rooms",
    "moderation",
    "mastodon_api",
    "outbox",
]

MIDDLEWARE = [
    "twitterclone.middleware.JsonErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # After CORS: a 429 carries the CORS headers (a browser can read it) and preflights never count.
    "twitterclone.ratelimit.RateLimitMiddleware",
    # Sessions, CSRF, session auth and messages serve the admin and the HTML pages; on /api/ (Bearer
    # tokens, no cookies) they are skipped (twitterclone/middleware.py).
    "twitterclone.middleware.BrowserSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "twitterclone.middleware.BrowserCsrfViewMiddleware",
    "twitterclone.middleware.BrowserAuthenticationMiddleware",
    "twitterclone.middleware.BrowserOTPMiddleware",
    "twitterclone.middleware.BrowserMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# security.W003 looks for CsrfViewMiddleware by its exact path; BrowserCsrfViewMiddleware is that
# class, skipped only on /api/ (no cookies there). The admin's CSRF check is tested in
# twitterclone/tests/test_serving_core.py.
SILENCED_SYSTEM_CHECKS = ["security.W003"]

ROOT_URLCONF = "twitterclone.urls"
ASGI_APPLICATION = "twitterclone.asgi.application"
WSGI_APPLICATION = "twitterclone.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if IS_POSTGRES:
    # Django's backend with a health check that polls the idle socket instead of sending SELECT 1
    # before every request's first query (twitterclone/postgres/base.py); dead connections are
    # still replaced before they fail a request.
    DATABASES["default"]["ENGINE"] = "twitterclone.postgres"
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
    # Constant statements of the hot pages run on server-binding cursors (twitterclone/db.py) and
    # are prepared once per connection after this many runs; empty disables (transaction poolers).
    _prepare_threshold = env("DB_PREPARE_THRESHOLD", default="2")
    DATABASES["default"]["OPTIONS"].setdefault(
        "prepare_threshold", int(_prepare_threshold) if _prepare_threshold else None
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Development on SQLite, with concurrent writers (socket threads, runserver threads, Celery
    # eager tasks): WAL lets readers run beside the writer; every transaction begins IMMEDIATE, so
    # it takes the write lock up front and waits for it (``timeout``: SQLite's busy timeout)
    # instead of failing at once with "database is locked" when a read turns into a write.
    _sqlite = DATABASES["default"].setdefault("OPTIONS", {})
    _sqlite.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL")
    _sqlite.setdefault("transaction_mode", "IMMEDIATE")
    _sqlite.setdefault("timeout", env.float("SQLITE_BUSY_TIMEOUT_SECONDS", default=20.0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, Celery ------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "twitterclone.cache.FailFastRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="tc"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels-redis polls with a 5 s BZPOPMIN; redis-py 8's default 5 s read timeout
                # would fail every idle poll (and close the socket), so read for longer.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "prefix": env("CHANNEL_LAYER_PREFIX", default="asgi"),
                "capacity": 1500,
                "expiry": 30,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# After a Redis cache error, cache calls fail at once for this long (twitterclone/cache.py).
CACHE_FAILFAST_SECONDS = env.float("CACHE_FAILFAST_SECONDS", default=5.0)

# Longest a request (or task) waits on a channel-layer send before dropping the live push.
CHANNEL_LAYER_SEND_TIMEOUT_SECONDS = env.float("CHANNEL_LAYER_SEND_TIMEOUT_SECONDS", default=2.0)

# How often the room presence sweep runs (rooms.tasks.presence_sweep; see ROOM_HEARTBEAT_SECONDS).
ROOM_PRESENCE_SWEEP_SECONDS = env.float("ROOM_PRESENCE_SWEEP_SECONDS", default=15.0)
# Periodic tasks (run by `celery -A twitterclone beat`, the `beat` service in docker-compose.yml).
CELERY_BEAT_SCHEDULE = {
    # Room presence: checks lost with a worker, sockets lost with a server (docs/rooms.md).
    "rooms-presence-sweep": {
        "task": "rooms.tasks.presence_sweep",
        "schedule": ROOM_PRESENCE_SWEEP_SECONDS,
    },
    # Rooms on Janus: recreate lost Janus rooms, cut off handles of users no longer entitled.
    "rooms-media-check": {"task": "rooms.tasks.media_check", "schedule": ROOM_PRESENCE_SWEEP_SECONDS},
    # Expired refresh-token records (outstanding, blacklisted, token families): hourly.
    "accounts-flush-expired-tokens": {"task": "accounts.tasks.flush_expired_tokens", "schedule": 3600.0},
    # Password-reset throttle rows that no longer hold anything back (one per email tried): hourly.
    "accounts-flush-password-reset-throttles": {
        "task": "accounts.tasks.flush_password_reset_throttles",
        "schedule": 3600.0,
    },
    # Publishes the Celery tasks the broker refused when their transaction committed (outbox).
    "outbox-drain": {"task": "outbox.tasks.drain_outbox", "schedule": 30.0},
}

# "memory://localhost/" rather than "memory://": kombu warns about a missing host name otherwise.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Seconds before a task taken by a worker that died without acknowledging it is delivered again
# (acks_late); a new worker restores such tasks when it starts. Fault tests lower it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}

# --- Auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)

ACCESS_TOKEN_LIFETIME = timedelta(seconds=env.int("ACCESS_TOKEN_LIFETIME_SECONDS", default=300))
REFRESH_TOKEN_LIFETIME = timedelta(seconds=env.int("REFRESH_TOKEN_LIFETIME_SECONDS", default=14 * 24 * 3600))
# A rotated refresh token presented again this soon after its rotation gets a fresh pair of the same
# family instead of being treated as reuse (theft): two refreshes in flight from one client.
REFRESH_TOKEN_REUSE_GRACE_SECONDS = env.float("REFRESH_TOKEN_REUSE_GRACE_SECONDS", default=10.0)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": ACCESS_TOKEN_LIFETIME,
    "REFRESH_TOKEN_LIFETIME": REFRESH_TOKEN_LIFETIME,
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_AUTHENTICATION_RULE": "accounts.auth.user_can_authenticate",
}
# Staff log into the admin with a TOTP code as well as their password (moderation/admin_site.py).
ADMIN_REQUIRE_2FA = env.bool("ADMIN_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="twitterclone")
# How long the cache keeps a user's token version (accounts/sessions.py); a miss reads the row.
TOKEN_VERSION_CACHE_SECONDS = env.int("TOKEN_VERSION_CACHE_SECONDS", default=24 * 3600)

# Password reset by one-time code (django-otp device on accounts.PasswordResetDevice).
PASSWORD_RESET_CODE_VALIDITY_SECONDS = env.int("PASSWORD_RESET_CODE_VALIDITY_SECONDS", default=600)
PASSWORD_RESET_MAX_FAILURES = env.int("PASSWORD_RESET_MAX_FAILURES", default=5)
PASSWORD_RESET_THROTTLE_FACTOR = env.int("PASSWORD_RESET_THROTTLE_FACTOR", default=1)

# --- REST framework -----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # orjson (twitterclone/jsoncodec.py): the same JSON as DRF's renderer, several times faster.
    "DEFAULT_RENDERER_CLASSES": ["twitterclone.jsoncodec.OrjsonRenderer"],
    # JSON in and out (the contract). Only PATCH /users/me also takes multipart, for the avatar:
    # daphne (Twisted) parses multipart POST bodies itself and answers a malformed one with a bare 400.
    "DEFAULT_PARSER_CLASSES": ["twitterclone.jsoncodec.OrjsonParser"],
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

# --- Static, media, uploads -------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
AVATAR_MAX_BYTES = env.int("AVATAR_MAX_BYTES", default=2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2621440)
# Whole request bodies above this are refused with 413 before any parsing.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=AVATAR_MAX_BYTES + 512 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# --- Mail --------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="twitterclone <no-reply@localhost>")

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

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

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# The benchmark ceiling endpoint (bench/timeline.py turns it on for its server only).
BENCHMARK_ENDPOINTS = env.bool("BENCHMARK_ENDPOINTS", default=False)

# --- Logging ------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_JSON = env.bool("LOG_JSON", default=not DEBUG)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "twitterclone.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "filters": {"redact": {"()": "twitterclone.logging.RedactSecretsFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_JSON else "plain",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's default config gives "django" a console handler of its own (with DEBUG), which
        # printed every record a second time on top of the root handler: one handler, the root's.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # django.request logs every 4xx as a warning; the server's access log already has one line
        # per request. 5xx are logged once, with the traceback, by the error handler.
        "django.request": {"level": env("DJANGO_REQUEST_LOG_LEVEL", default="ERROR")},
    },
}

# --- Audio rooms (see docs/rooms.md) --------------------------------------------
ROOM_MAX_SPEAKERS = env.int("ROOM_MAX_SPEAKERS", default=10)  # besides the host and co-hosts
ROOM_MAX_COHOSTS = env.int("ROOM_MAX_COHOSTS", default=2)
ROOM_MAX_LISTENERS = env.int("ROOM_MAX_LISTENERS", default=100)
ROOM_DISCONNECT_GRACE_SECONDS = env.float("ROOM_DISCONNECT_GRACE_SECONDS", default=30.0)
ROOM_HOST_GRACE_SECONDS = env.float("ROOM_HOST_GRACE_SECONDS", default=120.0)
# Each server process refreshes its room sockets' connection rows this often; a row older than
# ROOM_CONNECTION_STALE_SECONDS is a socket whose server is gone (killed, frozen): the presence sweep
# (every ROOM_PRESENCE_SWEEP_SECONDS) removes it and the grace period runs from its last heartbeat.
ROOM_HEARTBEAT_SECONDS = env.float("ROOM_HEARTBEAT_SECONDS", default=5.0)
ROOM_CONNECTION_STALE_SECONDS = env.float("ROOM_CONNECTION_STALE_SECONDS", default=15.0)
ROOM_ICE_SERVERS = env.json("ROOM_ICE_SERVERS", default=[])  # [{"urls": ["stun:...", "turn:..."]}, ...]
ROOM_TURN_SECRET = env("ROOM_TURN_SECRET", default="")  # coturn's static-auth-secret (TURN REST API)
ROOM_TURN_TTL_SECONDS = env.int("ROOM_TURN_TTL_SECONDS", default=24 * 3600)
# The rooms' media server (Janus, docs/rooms.md "Media server"). Empty JANUS_URL: peer to peer.
JANUS_URL = env("JANUS_URL", default="")  # the Janus API for our backend, e.g. http://janus:8088/janus
JANUS_PUBLIC_URL = env("JANUS_PUBLIC_URL", default="")  # the Janus API for clients (JANUS_URL if empty)
JANUS_ADMIN_URL = env("JANUS_ADMIN_URL", default="")  # the Admin API (kicks), e.g. http://janus:7088/admin
JANUS_API_SECRET = env("JANUS_API_SECRET", default="")
JANUS_TOKEN_SECRET = env("JANUS_TOKEN_SECRET", default="")  # Janus's token_auth_secret (client tokens)
JANUS_ADMIN_SECRET = env("JANUS_ADMIN_SECRET", default="")
JANUS_ADMIN_KEY = env("JANUS_ADMIN_KEY", default="")  # the AudioBridge/Streaming plugins' admin_key
JANUS_TIMEOUT_SECONDS = env.float("JANUS_TIMEOUT_SECONDS", default=5.0)
ROOM_MEDIA_TOKEN_TTL_SECONDS = env.int("ROOM_MEDIA_TOKEN_TTL_SECONDS", default=3600)

# --- Home timelines (tweets/feeds/, docs/timelines.md) ---------------------------
# "redis": fan-out on write into Redis feeds (PostgreSQL when Redis fails); "pull": PostgreSQL only.
TIMELINE_BACKEND = env("TIMELINE_BACKEND", default="redis" if REDIS_URL else "pull")
TIMELINE_FEED_SIZE = env.int("TIMELINE_FEED_SIZE", default=120)
TIMELINE_PULL_THRESHOLD = env.int("TIMELINE_PULL_THRESHOLD", default=10000)
TIMELINE_FEED_TTL_SECONDS = env.int("TIMELINE_FEED_TTL_SECONDS", default=3600)
# Followers per fan-out task: a large fan-out is a chain of tasks that several workers share.
# Followers per fan-out task: 5,000 followers in one task (one follower query, one Redis pipeline)
# took 42 ms in process against 62 ms in two chunks of 2,500, before the second broker hop.
TIMELINE_FAN_OUT_CHUNK = env.int("TIMELINE_FAN_OUT_CHUNK", default=5000)

# --- Mastodon client API (mastodon_api/, docs/mastodon.md) ----------------------
# OAuth 2 by django-oauth-toolkit. Mastodon's tokens do not expire, and clients never refresh
# them: the default lifetime is long (revocation, password change and suspension end them).
MASTODON_TOKEN_LIFETIME_SECONDS = env.int("MASTODON_TOKEN_LIFETIME_SECONDS", default=365 * 24 * 3600)
# The resource-owner password grant, for scripts and CLIs (toot, Mastodon.py's log_in).
MASTODON_PASSWORD_GRANT_ENABLED = env.bool("MASTODON_PASSWORD_GRANT_ENABLED", default=True)
# A comment line on idle server-sent event streams, so proxies do not close them.
MASTODON_STREAMING_HEARTBEAT_SECONDS = env.float("MASTODON_STREAMING_HEARTBEAT_SECONDS", default=15.0)
# Named explicitly so that migrations referring to these swappable models resolve.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "SCOPES": {
        "read": "read all your data",
        "write": "change all your data",
        "follow": "follow, block and mute accounts",
        "push": "receive push notifications",
        "profile": "read your profile",
        **{
            f"read:{part}": f"read your {part}"
            for part in (
                "accounts",
                "blocks",
                "bookmarks",
                "favourites",
                "filters",
                "follows",
                "lists",
                "mutes",
                "notifications",
                "search",
                "statuses",
            )
        },
        **{
            f"write:{part}": f"change your {part}"
            for part in (
                "accounts",
                "blocks",
                "bookmarks",
                "conversations",
                "favourites",
                "filters",
                "follows",
                "lists",
                "media",
                "mutes",
                "notifications",
                "reports",
                "statuses",
            )
        },
    },
    "DEFAULT_SCOPES": ["read"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": MASTODON_TOKEN_LIFETIME_SECONDS,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
    # PKCE is optional (most Mastodon apps do not send it); a code issued with a challenge needs its verifier.
    "PKCE_REQUIRED": False,
    "REQUEST_APPROVAL_PROMPT": "force",
    "OAUTH2_VALIDATOR_CLASS": "mastodon_api.oauth.MastodonOAuth2Validator",
    "OAUTH2_BACKEND_CLASS": "mastodon_api.oauth.FormOrJSONOAuthLibCore",
    "OAUTH2_SERVER_CLASS": "mastodon_api.oauth.MastodonServer",
    # RFC 9700 (OAuth security best practice) where Mastodon clients are not hurt by it: no implicit
    # grant, PKCE S256 only, tokens only in headers (streaming reads its own), the `iss` response
    # parameter, tokens stored hashed, refresh-token replay revoking the family.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}
# Deliberate departures from RFC 9700 for Mastodon clients (docs/mastodon.md): the password grant
# (toot, Mastodon.py; MASTODON_PASSWORD_GRANT_ENABLED turns it off), http redirect URIs (native apps'
# loopback callbacks, local development) and optional PKCE (most Mastodon apps send none).
SILENCED_SYSTEM_CHECKS += ["oauth2_provider.W002", "oauth2_provider.W008", "oauth2_provider.W010"]
