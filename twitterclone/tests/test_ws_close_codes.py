"""Every close code our consumers send is one daphne can send. autobahn (daphne's WebSocket
engine) refuses any code but 1000 and 3000-4999 from the server side and raises in its own
``sendClose``; the socket of a consumer that failed at connect was closed with 1011 and daphne
logged "Exception inside application: invalid close code 1011" on top of the consumer's error."""

from __future__ import annotations

import pytest
from autobahn.websocket.protocol import WebSocketProtocol as AutobahnProtocol
from daphne.ws_protocol import WebSocketProtocol

from rooms import consumers as room_consumers
from twitterclone import ws

SENT_CODES = {
    name: value
    for module in (ws, room_consumers)
    for name, value in vars(module).items()
    if name.startswith("CLOSE_") and isinstance(value, int) and name != "CLOSE_ABNORMAL"  # never sent: 1006
}


def test_the_codes_are_found():
    assert {"CLOSE_INTERNAL_ERROR", "CLOSE_UNAUTHENTICATED", "CLOSE_NORMAL"} <= set(SENT_CODES)


@pytest.mark.parametrize("name", sorted(SENT_CODES))
def test_daphne_can_send_the_close_code(name):
    protocol = WebSocketProtocol.__new__(WebSocketProtocol)  # an open socket, without a transport
    protocol.state = AutobahnProtocol.STATE_OPEN
    sent = []
    protocol.sendCloseFrame = lambda code=None, reasonUtf8=None, isReply=False: sent.append(code)
    protocol.serverClose(code=SENT_CODES[name])
    assert sent == [SENT_CODES[name]]
