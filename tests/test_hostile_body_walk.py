"""Every write operation of our API, under every hostile raw JSON body (tests/hostile_bodies.py):
a 4xx in the error envelope, never a 500, and nothing changes. The bodies' decoding is one
codec (twitterclone.jsoncodec.loads); this walk keeps every operation on it."""

from __future__ import annotations

import pytest

from tests.hostile_bodies import HOSTILE_FORM_BODIES, HOSTILE_JSON_BODIES
from tests.test_hostile_input import assert_handled, build_path, client, operations, valid_path_value, world  # noqa: F401
from tweets.models import Tweet

pytestmark = pytest.mark.django_db


def test_every_write_operation_survives_every_hostile_json_body(client, world):  # noqa: F811
    tried, failures = 0, []
    count = Tweet.objects.count()
    for path, method, operation in operations():
        if method not in ("post", "put", "patch", "delete") or path.endswith(("/logout_all", "/logout")):
            continue  # logging out is no refusal: it would end the walk's own session
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        url = build_path(path, {name: valid_path_value(world, path, name) for name in names})
        for label, body in HOSTILE_JSON_BODIES.items():
            response = client.generic(method.upper(), url, body, content_type="application/json")
            tried += 1
            try:
                assert_handled(response, f"{method.upper()} {path} {label}")
            except AssertionError as failure:
                failures.append(str(failure).splitlines()[0][:300])
    assert tried > 300, tried
    assert Tweet.objects.count() <= count  # nothing was posted (a DELETE ignores its body and deletes)
    assert not failures, f"{len(failures)} of {tried} mishandled:\n" + "\n".join(failures[:40])


def test_every_write_operation_survives_every_hostile_form_body(client, world):  # noqa: F811
    """Our API takes JSON (and multipart on PATCH /users/me): a form or multipart body no client
    should send is a 4xx in the envelope (415 where forms are not taken), never Django's HTML 400."""
    tried, failures = 0, []
    count = Tweet.objects.count()
    for path, method, operation in operations():
        if method not in ("post", "put", "patch", "delete") or path.endswith(("/logout_all", "/logout")):
            continue
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        url = build_path(path, {name: valid_path_value(world, path, name) for name in names})
        for label, (content_type, body) in HOSTILE_FORM_BODIES.items():
            response = client.generic(method.upper(), url, body, content_type=content_type)
            tried += 1
            try:
                assert_handled(response, f"{method.upper()} {path} {label}")
            except AssertionError as failure:
                failures.append(str(failure).splitlines()[0][:300])
    assert tried > 300, tried
    assert Tweet.objects.count() <= count
    assert not failures, f"{len(failures)} of {tried} mishandled:\n" + "\n".join(failures[:40])
