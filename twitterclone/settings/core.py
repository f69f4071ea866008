"""Core settings: the environment, security basics, apps, middleware, templates, static and
media files, mail, internationalisation and logging."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():  # optional: without the check django-environ logs that it is missing
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# The development key is only ever used with DEBUG on; production must set its own, and may not
# copy this one (it is public: anyone could sign sessions, tokens and password-reset codes).
_DEV_SECRET_KEY = "dev-insecure-3f1e0b6c2a7d48e59c0b1f7a9e8d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19087"
SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else environ.Env.NOTSET)
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or SECRET_KEY.startswith(("dev-insecure-", "django-insecure-"))):
    raise ImproperlyConfigured("SECRET_KEY is the public development key: set a secret one when DEBUG is off.")
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
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # django-cors-headers' middleware without building request.headers (twitterclone/middleware.py).
    "twitterclone.middleware.CorsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Inside the security, CORS and X-Frame-Options middleware, so that its JSON errors (404, 405,
    # 413, 414, 500) carry their headers as a view's response would (a browser can read them
    # cross-origin); none of those reads the body, so the 413 still comes before anything does.
    # Exceptions raised by the middleware below it are answered by handler500 (JSON on API paths).
    "twitterclone.middleware.JsonErrorMiddleware",
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

# --- Static, media, uploads -------------------------------------------------
STATIC_URL = "static/"
# Where collectstatic puts the static files (the admin's, the API docs') and whitenoise serves them from.
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
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
