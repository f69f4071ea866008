"""tune_daphne refuses, loudly, a daphne, Twisted or autobahn that no longer has what it patches
(twitterclone/daphne_server.py): assigning a module global daphne stopped reading, or passing an
option a new release dropped, would turn the tuning off silently or break every request."""

from __future__ import annotations

import pytest
from daphne import http_protocol, server
from twisted.web import http

from twitterclone import daphne_server


@pytest.fixture
def originals(monkeypatch):
    # Whatever a test does to daphne's globals is undone after it.
    monkeypatch.setattr(http_protocol, "WebRequest", http_protocol.WebRequest)
    monkeypatch.setattr(server, "WebSocketFactory", server.WebSocketFactory)
    return http_protocol.WebRequest, server.WebSocketFactory


def test_the_pinned_versions_are_tuned(originals):
    daphne_server.tune_daphne()
    assert http_protocol.WebRequest is daphne_server._WebRequest
    assert server.WebSocketFactory is daphne_server._WebSocketFactory


def _build_protocol_elsewhere(self, addr):
    return http.HTTPFactory.buildProtocol(self, addr)  # a daphne that builds its requests another way


def _run_elsewhere(self):
    return None


def _request_init(self, channel, queued=None):
    return None


@pytest.mark.parametrize(
    ("target", "name", "value", "message"),
    [
        (
            http_protocol.HTTPFactory,
            "buildProtocol",
            _build_protocol_elsewhere,
            "no longer builds http_protocol.WebRequest",
        ),
        (server.Server, "run", _run_elsewhere, "no longer builds server.WebSocketFactory"),
        (http_protocol, "WebRequest", None, "WebRequest is gone"),
        (server, "WebSocketFactory", None, "WebSocketFactory is gone"),
        (http.Request, "__init__", _request_init, "parsePOSTFormSubmission"),
    ],
)
def test_a_changed_daphne_or_twisted_stops_the_server(monkeypatch, originals, target, name, value, message):
    monkeypatch.setattr(target, name, value)
    before = http_protocol.WebRequest, server.WebSocketFactory
    with pytest.raises(RuntimeError, match=message):
        daphne_server.tune_daphne()
    assert (http_protocol.WebRequest, server.WebSocketFactory) == before  # nothing half-patched
