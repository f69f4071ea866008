"""``POST /internal/janus/events``: Janus's event handler calls it (``rooms.media.viewers``).

Internal: not in the public API (nor its schema); 404 unless ``JANUS_EVENTS_SECRET`` is set and
rooms run on Janus; 401 without the secret (basic auth, compared in constant time); 400 for a
body that is not JSON events. The Janus work runs in a Celery task, never in the request.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from kombu.exceptions import OperationalError

from twitterclone.errors import error_json_response
from twitterclone.jsoncodec import json_response, loads

from .media.viewers import events_authorized, events_enabled, viewer_events

logger = logging.getLogger("twitterclone.rooms.media")


@csrf_exempt
def janus_events(request: HttpRequest) -> HttpResponse:
    if not events_enabled():
        return error_json_response(404, "not_found", "Not found.")
    if request.method != "POST":
        return error_json_response(405, "method_not_allowed", "Only POST.", headers={"Allow": "POST"})
    if not events_authorized(request.headers.get("Authorization", "")):
        return error_json_response(
            401, "not_authenticated", "Janus's event secret is required.", headers={"WWW-Authenticate": "Basic"}
        )
    try:
        viewers = viewer_events(loads(request.body))  # strict: orjson, nesting <= 1024
    except RequestDataTooBig:
        return error_json_response(413, "too_large", "The event batch is too large.")
    except ValueError as exc:
        return error_json_response(400, "invalid", f"Not Janus events: {exc}")
    if viewers:
        from .tasks import media_viewers_enforce

        try:
            media_viewers_enforce.delay([list(viewer) for viewer in viewers])
        except OperationalError:
            logger.warning("Janus events: the broker is unreachable; the media check will catch up", exc_info=True)
            return error_json_response(503, "unavailable", "The task queue is unreachable.")
    return json_response({"viewers": len(viewers)})
