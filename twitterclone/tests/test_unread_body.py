"""A body the view never read is read to its end before the answer goes out (granian closes a
connection with an unread body; through nginx that was a 502: twitterclone.middleware)."""

from __future__ import annotations

import io

import pytest

from twitterclone.wsgi import application


def _call(path: str, body: bytes) -> tuple[str, io.BytesIO]:
    stream = io.BytesIO(body)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": stream,
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    statuses: list[str] = []
    result = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(result)
    result.close()
    return statuses[0], stream


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/tweets", "/api/v1/no-such-endpoint"])
def test_a_body_answered_before_it_was_read_is_read_to_its_end(path, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    body = b'{"text": "' + b"x" * 300_000 + b'"}'
    status, stream = _call(path, body)
    assert status.split()[0] in ("401", "404"), status
    assert stream.tell() == len(body)


@pytest.mark.django_db
def test_a_body_over_the_limit_is_refused_unread(settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.MAX_REQUEST_BODY_BYTES = 1000
    status, stream = _call("/api/v1/tweets", b"x" * 5000)
    assert status.startswith("413")
    assert stream.tell() == 0
