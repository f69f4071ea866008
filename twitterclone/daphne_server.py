"""Two of daphne's defaults that answer a client before (or instead of) the application, turned
off for every daphne serving ``twitterclone.asgi`` (``./dev.sh``, the socket processes behind
nginx, the tests' servers): ``asgi.py`` calls ``tune_daphne()`` when daphne is the server.

- Twisted parses a POST's multipart and form bodies itself, before daphne hands the request on,
  into ``request.args``, which daphne never reads. A multipart body it cannot parse got Twisted's
  bare 400 and a dropped connection: no JSON envelope, not even a line in the access log. Django
  parses bodies (``twitterclone.parsers`` refuses malformed ones in the envelope), so Twisted is
  told not to (``parsePOSTFormSubmission=False``), and the 400 is ours.
- autobahn fails a WebSocket by dropping its TCP connection (``failByDrop``): a message over
  daphne's limit (1 MiB, ``--websocket-max-message-size``) ended in 1006, no code, no reason.
  Without ``failByDrop`` it sends the close frame RFC 6455 has for it, 1009 "message too big",
  with its reason (and drops the connection if the client does not answer the close).
"""

from __future__ import annotations

import inspect
from typing import Any

from autobahn.websocket.protocol import WebSocketServerFactory
from daphne import http_protocol, server, ws_protocol
from twisted.web import http


class _WebRequest(http_protocol.WebRequest):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, parsePOSTFormSubmission=False, **kwargs)


class _WebSocketFactory(ws_protocol.WebSocketFactory):
    def setProtocolOptions(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("failByDrop", False)
        super().setProtocolOptions(*args, **kwargs)


def _unpatchable() -> list[str]:
    """What this daphne, Twisted or autobahn no longer has of what ``tune_daphne`` relies on (the
    module globals daphne looks its classes up by, and the two options), empty when all is there.
    Assigning a global that daphne stopped reading would turn the tuning off without a word."""
    problems = []
    if not isinstance(getattr(http_protocol, "WebRequest", None), type):
        problems.append("daphne.http_protocol.WebRequest is gone")
    elif "WebRequest" not in http_protocol.HTTPFactory.buildProtocol.__code__.co_names:
        problems.append("daphne's HTTPFactory.buildProtocol no longer builds http_protocol.WebRequest")
    if not isinstance(getattr(server, "WebSocketFactory", None), type):
        problems.append("daphne.server.WebSocketFactory is gone")
    elif "WebSocketFactory" not in server.Server.run.__code__.co_names:
        problems.append("daphne's Server.run no longer builds server.WebSocketFactory")
    if "parsePOSTFormSubmission" not in inspect.signature(http.Request.__init__).parameters:
        problems.append("Twisted's Request no longer takes parsePOSTFormSubmission")
    if "failByDrop" not in inspect.signature(WebSocketServerFactory.setProtocolOptions).parameters:
        problems.append("autobahn's setProtocolOptions no longer takes failByDrop")
    return problems


def tune_daphne() -> None:
    """Makes the daphne server of this process build the request and socket factories above.
    Must run before the server starts (daphne imports the application first: asgi.py). Raises
    RuntimeError, so that the server does not start, when the pinned daphne, Twisted or autobahn
    changed what this patches."""
    problems = _unpatchable()
    if problems:
        raise RuntimeError("twitterclone.daphne_server cannot tune this daphne: " + "; ".join(problems))
    # daphne reads both names from its modules when it builds a connection and starts the server.
    http_protocol.WebRequest = _WebRequest
    server.WebSocketFactory = _WebSocketFactory
