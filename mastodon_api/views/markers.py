"""Mastodon's timeline markers (saved reading positions), over mastodon_api.services and selectors."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from twitterclone.errors import InvalidInput

from .. import presenters
from ..base import MastodonView, list_param, nested_param
from ..ids import parse_id
from ..models import Marker
from ..selectors import markers_for
from ..services import markers_save


def _markers(markers: list[Marker]) -> dict[str, Any]:
    return {
        marker.timeline: {
            "last_read_id": str(marker.last_read_id),
            "version": marker.version,
            "updated_at": presenters.iso(marker.updated_at),
        }
        for marker in markers
    }


def _last_read_id(value: Any, timeline: str) -> int:
    name = f"{timeline}[last_read_id]"
    if value in (None, ""):
        raise InvalidInput("Validation failed: Last read ID can't be blank", fields={name: ["blank"]})
    parsed = parse_id(value)
    if parsed is None:
        raise InvalidInput("Validation failed: Last read ID must be an id", fields={name: ["not an id"]})
    return parsed


class MarkersView(MastodonView):
    """GET /api/v1/markers?timeline[]=home&timeline[]=notifications (no timeline: ``{}``);
    POST /api/v1/markers with ``home[last_read_id]`` and/or ``notifications[last_read_id]``
    (form, or JSON ``{"home": {"last_read_id": "1"}}``): the markers saved."""

    scopes = {"GET": "read:statuses", "POST": "write:statuses"}

    def get(self, request: Request) -> Response:
        timelines = [t for t in list_param(request.query_params, "timeline") if t in Marker.Timeline.values]
        return Response(_markers(markers_for(user=request.user, timelines=timelines)))

    def post(self, request: Request) -> Response:
        data = request.data
        positions = {}
        for timeline in Marker.Timeline.values:
            value = data.get(timeline)
            if timeline in data and not isinstance(value, dict):
                raise InvalidInput(
                    f"Validation failed: {timeline} must be an object with last_read_id", fields={timeline: ["type"]}
                )
            present = value is not None or any(
                key.startswith(f"{timeline}[") for key in getattr(data, "keys", lambda: [])()
            )
            if present:
                positions[timeline] = _last_read_id(nested_param(data, timeline, "last_read_id"), timeline)
        return Response(_markers(markers_save(user=request.user, positions=positions)))
