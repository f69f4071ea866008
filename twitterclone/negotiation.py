"""Content negotiation: DRF's own, remembered per Accept header.

DRF parses the Accept header into media types and matches them against the view's renderers on
every request: about a twentieth of the CPU of a small API response, for an answer that depends
only on the header and the renderers. ``MemoizedContentNegotiation`` keeps the answer DRF gave
for each (renderer classes, Accept header) pair, up to ``HEADERS_KEPT`` of them, for headers of
at most ``HEADER_LENGTH_KEPT`` characters (the header is the client's to choose: without the
bounds a client could make the memo grow without limit). What DRF refuses (406, or a 404 for an
unknown ``?format=``) is not kept, nor is a request with a format suffix or ``?format=``: those
go to DRF every time, so every answer, accepted or refused, is DRF's.
"""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

HEADERS_KEPT = 256
HEADER_LENGTH_KEPT = 512

# (renderer classes, Accept header or None) -> (index of the chosen renderer, accepted media type)
_answers: dict[tuple[tuple[type, ...], str | None], tuple[int, str]] = {}


class MemoizedContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        format_parameter = self.settings.URL_FORMAT_OVERRIDE
        if format_suffix or (format_parameter and request.query_params.get(format_parameter)):
            return super().select_renderer(request, renderers, format_suffix)
        # DRF reads ``request.headers``, a dict of every header built on first use; the header is
        # the same in META.
        accept = request._request.META.get("HTTP_ACCEPT")
        if accept is not None and len(accept) > HEADER_LENGTH_KEPT:
            return super().select_renderer(request, renderers, format_suffix)
        key = (tuple(type(renderer) for renderer in renderers), accept)
        known = _answers.get(key)
        if known is not None:
            return renderers[known[0]], known[1]
        renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        if len(_answers) >= HEADERS_KEPT:
            _answers.clear()
        _answers[key] = (renderers.index(renderer), media_type)
        return renderer, media_type
