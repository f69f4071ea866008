"""Every write operation of the Mastodon client API, /oauth/token and /oauth/revoke, under every
hostile form and multipart body (tests/hostile_bodies.py): Mastodon clients post forms, so their
decoding is walked like the JSON bodies' (test_hostile_body_walk.py): a JSON 4xx in Mastodon's
shape, never a 500 or an HTML page, and never a status made of what the body did not say (bytes
that are not UTF-8 read as Latin-1, a multipart body cut short read as complete)."""

from __future__ import annotations

import pytest

from mastodon_api.tests.test_schema_walk import _answers_json, assert_mastodon_error, client, world  # noqa: F401
from tests.hostile_bodies import HOSTILE_FORM_BODIES
from tests.test_hostile_input import build_path, operations
from tweets.models import Tweet

pytestmark = pytest.mark.django_db


def test_every_mastodon_write_operation_survives_every_hostile_form_body(client, world):  # noqa: F811
    tried, failures = 0, []
    for path, method, operation in operations(mastodon=True):
        if method not in ("post", "put", "patch", "delete") or not _answers_json(operation):
            continue
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        url = build_path(path, {name: str(world[name]) for name in names})
        for label, (content_type, body) in HOSTILE_FORM_BODIES.items():
            response = client.generic(method.upper(), url, body, content_type=content_type)
            tried += 1
            try:
                assert_mastodon_error(response, url, f"{method.upper()} {path} {label}")
            except AssertionError as failure:
                failures.append(str(failure).splitlines()[0][:300])
    assert tried > 200, tried
    assert not failures, f"{len(failures)} of {tried} mishandled:\n" + "\n".join(failures[:60])
    # The one status a hostile body may post: percent-encoded bytes that are not UTF-8, replaced
    # as Django replaces them. Not "x" (a multipart body cut short, or of an unknown charset).
    posted = set(Tweet.objects.exclude(pk=world["status_id"]).values_list("text", flat=True))
    assert posted <= {"\ufffd\ufffd"}, posted
