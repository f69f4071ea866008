"""Authentication: users, passwords, JWTs, the admin's two factors, password reset."""

from datetime import timedelta

from .core import DEBUG, SECRET_KEY, env

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
