"""twitterclone.resolving: the production handlers remember each path's URL resolution."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings
from django.urls import Resolver404, path

from twitterclone import resolving
from twitterclone.wsgi import Handler, application

factory = RequestFactory()


def _resolve(handler, url: str):
    request = factory.get(url)
    return request, handler.resolve_request(request)


def test_the_wsgi_application_remembers_resolutions(monkeypatch):
    handler = Handler()
    calls = []
    original = resolving.BaseHandler.resolve_request
    monkeypatch.setattr(resolving.BaseHandler, "resolve_request", lambda self, r: calls.append(1) or original(self, r))
    first_request, first = _resolve(handler, "/api/v1/tweets/12")
    second_request, second = _resolve(handler, "/api/v1/tweets/12")
    assert len(calls) == 1  # the second one came from the memo
    assert first.url_name == second.url_name == "tweet-detail" and second.kwargs == {"tweet_id": 12}
    assert second_request.resolver_match is second and first_request.resolver_match is first
    # Each request has its own match and kwargs: a view changing them changes nothing else.
    second.kwargs["tweet_id"] = 99
    assert _resolve(handler, "/api/v1/tweets/12")[1].kwargs == {"tweet_id": 12}
    _, other = _resolve(handler, "/api/v1/tweets/13")
    assert other.kwargs == {"tweet_id": 13} and len(calls) == 2
    assert isinstance(application, resolving.MemoizedResolution)


def test_a_path_that_does_not_resolve_is_not_kept():
    handler = Handler()
    for _ in range(2):
        with pytest.raises(Resolver404):
            _resolve(handler, "/api/v1/no-such-path")
    assert handler._matches == {}


def _other_view(request):  # pragma: no cover - only resolved
    raise AssertionError


urlpatterns = [path("api/v1/tweets/<int:tweet_id>", _other_view, name="other")]


def test_a_new_urlconf_is_resolved_afresh():
    handler = Handler()
    assert _resolve(handler, "/api/v1/tweets/12")[1].url_name == "tweet-detail"
    with override_settings(ROOT_URLCONF=__name__):
        assert _resolve(handler, "/api/v1/tweets/12")[1].func is _other_view
    assert _resolve(handler, "/api/v1/tweets/12")[1].url_name == "tweet-detail"


def test_the_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(resolving, "PATHS_KEPT", 3)
    handler = Handler()
    for tweet_id in range(1, 8):
        _resolve(handler, f"/api/v1/tweets/{tweet_id}")
        assert len(handler._matches) <= 3


def test_a_long_path_is_resolved_but_not_kept():
    # Paths are the client's to choose (any tag resolves): a long one must not be kept.
    handler = Handler()
    name = "a" * resolving.PATH_LENGTH_KEPT
    for _ in range(2):
        assert _resolve(handler, f"/api/v1/hashtags/{name}/tweets")[1].kwargs == {"tag": name}
    assert handler._matches == {}
    _resolve(handler, "/api/v1/hashtags/ada/tweets")
    assert [path for _, path in handler._matches] == ["/api/v1/hashtags/ada/tweets"]


@pytest.mark.django_db
def test_requests_through_the_wsgi_application_are_answered_the_same():
    environ = factory._base_environ(PATH_INFO="/api/v1/", REQUEST_METHOD="GET")
    bodies = []
    for _ in range(2):
        status = []
        bodies.append(b"".join(application(dict(environ), lambda code, headers, exc=None: status.append(code))))
        assert status == ["200 OK"]
    assert bodies[0] == bodies[1]
