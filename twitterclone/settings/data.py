"""Storage and messaging: the database (PostgreSQL or SQLite), Redis (cache, channel layer),
Celery and its periodic tasks."""

from .core import BASE_DIR, env

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
