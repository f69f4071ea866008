"""WSGI entry point: the production HTTP server (gunicorn, see deploy/gunicorn.conf.py) serves the
REST API and the admin through it, one process per core with a few threads each. WebSockets (and
the Mastodon streaming paths) are served by daphne from twitterclone/asgi.py; nginx routes between
the two (deploy/nginx.conf)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twitterclone.settings")

application = get_wsgi_application()
