"""WSGI entry point: the production HTTP server (granian; gunicorn is the alternative, see
deploy/gunicorn.conf.py) serves the REST API and the admin through it, one process per core
with a few threads each. WebSockets (and the Mastodon streaming paths) are served by daphne
from twitterclone/asgi.py; nginx routes between the two (deploy/nginx.conf).

``application`` is Django's ``WSGIHandler`` that remembers the URL resolution of each path
(``twitterclone.resolving``) and leaves the browser-only middleware out of API requests
(``twitterclone.middleware.ApiMiddlewareChain``); ``twitterclone.serving`` then readies the
process (a frozen heap, no per-request work that only DEBUG needs)."""

import os

import django
from django.core.handlers.wsgi import WSGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twitterclone.settings")
django.setup(set_prefix=False)

from twitterclone.middleware import ApiMiddlewareChain  # noqa: E402
from twitterclone.resolving import MemoizedResolution  # noqa: E402
from twitterclone.serving import prepare_serving_process  # noqa: E402


class Handler(ApiMiddlewareChain, MemoizedResolution, WSGIHandler):
    pass


application = Handler()
prepare_serving_process()
