"""Every write operation of the Mastodon client API (and /oauth/token, /oauth/revoke), under every
hostile raw JSON body (tests/hostile_bodies.py): a JSON 4xx in Mastodon's shape, never a 500 or
an HTML page. The token authentication reads the body too, so this walks it on every operation."""

from __future__ import annotations

import pytest

from mastodon_api.tests.test_schema_walk import _answers_json, assert_mastodon_error, client, world  # noqa: F401
from tests.hostile_bodies import HOSTILE_JSON_BODIES
from tests.test_hostile_input import build_path, operations
from tweets.models import Tweet

pytestmark = pytest.mark.django_db


def test_every_mastodon_write_operation_survives_every_hostile_json_body(client, world):  # noqa: F811
    tried, failures = 0, []
    count = Tweet.objects.count()
    for path, method, operation in operations(mastodon=True):
        if method not in ("post", "put", "patch", "delete") or not _answers_json(operation):
            continue
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        url = build_path(path, {name: str(world[name]) for name in names})
        for label, body in HOSTILE_JSON_BODIES.items():
            response = client.generic(method.upper(), url, body, content_type="application/json")
            tried += 1
            try:
                assert_mastodon_error(response, url, f"{method.upper()} {path} {label}")
            except AssertionError as failure:
                failures.append(str(failure).splitlines()[0][:300])
    assert tried > 200, tried
    assert Tweet.objects.count() <= count  # nothing was posted (a DELETE ignores its body)
    assert not failures, f"{len(failures)} of {tried} mishandled:\n" + "\n".join(failures[:40])
