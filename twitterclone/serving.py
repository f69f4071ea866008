"""What the production entry points (``twitterclone.wsgi``, ``twitterclone.asgi``) do once the
application is loaded, before the first request: per-request work that the process would
otherwise repeat for nothing.

- ``gc.freeze()``: the objects alive once Django, the apps and the URLconf are loaded (about
  160,000; the URLconf is imported here rather than by the first request) live as long as the
  process, and every full collection walked all of them (about 0.1 s of CPU on the bench
  machine, a pause for the requests the process was serving). Frozen, the collector leaves them
  alone; collections of the young generations (a request's cyclic garbage) are as before.
- Django's ``reset_queries`` receiver of ``request_started`` clears each connection's query log,
  which only fills when queries are logged (``DEBUG``, or a ``CaptureQueriesContext``, which
  disconnects the receiver itself while it captures): with ``DEBUG`` off it only costs the walk
  over the connections. It stays connected when ``DEBUG`` is on (``./dev.sh``).
"""

from __future__ import annotations

import gc

from django.conf import settings
from django.core.signals import request_started
from django.db import reset_queries
from django.urls import get_resolver


def prepare_serving_process() -> None:
    """Call once, after the application (settings, apps, handler) is loaded."""
    if not settings.DEBUG:
        request_started.disconnect(reset_queries)
    get_resolver().url_patterns  # noqa: B018 (imports the URLconf, and with it every view module)
    gc.collect()  # what is garbage now is not kept forever by the freeze
    gc.freeze()
