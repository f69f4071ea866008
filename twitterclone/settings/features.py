"""Feature settings: audio rooms and their media server, home timelines, the Mastodon client API."""

from .core import SILENCED_SYSTEM_CHECKS as _CORE_SILENCED
from .core import env
from .data import REDIS_URL

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
# The password Janus's event handler sends (basic auth, user "janus") to POST /internal/janus/events;
# empty: that endpoint answers 404 and only the periodic media check cuts off a "switch"-ed viewer.
JANUS_EVENTS_SECRET = env("JANUS_EVENTS_SECRET", default="")
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
SILENCED_SYSTEM_CHECKS = [*_CORE_SILENCED, "oauth2_provider.W002", "oauth2_provider.W008", "oauth2_provider.W010"]
