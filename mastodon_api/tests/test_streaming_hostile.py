"""Hostile frames on /api/v1/streaming: each gets Mastodon's ``{"error": ...}`` frame, nothing is
logged as a server error, and the socket keeps working."""

from __future__ import annotations

import json
import logging

import pytest
from channels.testing import WebsocketCommunicator

from mastodon_api.tests.test_streaming import frame, in_transaction, make_user, streaming_cleanup, token_for  # noqa: F401
from tweets import services as tweets
from twitterclone.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("streaming_cleanup")]

HOSTILE_FRAMES = {
    # A lone surrogate: the standard library's json.loads accepted it, then hashing the tag for
    # its group name raised UnicodeEncodeError (logged as a crash, "internal_error" frame).
    "lone surrogate tag": {"text_data": '{"type": "subscribe", "stream": "hashtag", "tag": "\\ud800"}'},
    "lone surrogate stream": {"text_data": '{"type": "subscribe", "stream": "\\udfff"}'},
    "not UTF-8": {"bytes_data": b'{"type": "subscribe", "stream": "\xff"}'},
    "deep nesting": {"text_data": "[" * 50_000 + "]" * 50_000},
    "huge number": {"text_data": '{"type": "subscribe", "stream": ' + "9" * 5000 + "}"},
    "NaN": {"text_data": '{"type": "subscribe", "stream": NaN}'},
    "unknown type": {"text_data": '{"type": "\\u0000"}'},
    "tag not a string": {"text_data": '{"type": "subscribe", "stream": "hashtag", "tag": ["x"]}'},
    "array": {"text_data": "[]"},
}


@pytest.mark.parametrize("sent", HOSTILE_FRAMES.values(), ids=HOSTILE_FRAMES.keys())
async def test_a_hostile_frame_gets_an_error_frame_and_the_stream_goes_on(sent, caplog):
    alice, bob = await make_user(username="hostile"), await make_user(username="poster")
    socket = WebsocketCommunicator(application, "/api/v1/streaming", subprotocols=[await token_for(alice)])
    connected, _ = await socket.connect()
    assert connected
    with caplog.at_level(logging.WARNING):
        await socket.send_to(**sent)
        answer = await frame(socket)
    assert set(answer) == {"error"} and "server failed" not in answer["error"], answer
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    await socket.send_to(text_data=json.dumps({"type": "subscribe", "stream": "public"}))
    await in_transaction(tweets.tweet_create, author=bob, text="still here")
    assert (await frame(socket))["stream"] == ["public"]
    await socket.disconnect()
