"""URL resolution remembered per path, for the production HTTP entry points.

Django resolves every request by trying the URL patterns in order. The Mastodon routes come
first (``twitterclone/urls.py``: where both APIs serve a path, the token decides), so a path of
our API, ``/api/v1/timeline/home`` among them, was matched against about 65 patterns before its
own: a tenth of the CPU of a home page. The result of a resolution depends only on the URLconf
and the path, so ``MemoizedResolution`` (a mixin for Django's request handlers, used by
``twitterclone.wsgi`` and ``twitterclone.asgi``) keeps the match of each path it resolved, up to
``PATHS_KEPT`` paths of at most ``PATH_LENGTH_KEPT`` characters (then it starts again), keyed by
the resolver object, which Django replaces when the URLconf changes (``clear_url_caches``,
``ROOT_URLCONF`` overrides in tests). A path that does not resolve (404) is not kept, nor a
longer one: every path of a pattern with a parameter (``/api/v1/hashtags/<tag>/tweets``, the admin's
catch-all) resolves, so the paths are the client's to choose, and without the length bound a
client sending long ones could make the memo hold ``PATHS_KEPT`` times the longest URL the
server accepts (tens of MB per process). A request with its own ``urlconf`` is resolved as
Django does. Each request gets its own copy of the match (its own kwargs dict), so nothing a
view does to it reaches the next request.
"""

from __future__ import annotations

from django.core.handlers.base import BaseHandler
from django.http import HttpRequest
from django.urls import ResolverMatch, get_resolver

PATHS_KEPT = 4096
PATH_LENGTH_KEPT = 200  # every path the API links to is far shorter


class MemoizedResolution(BaseHandler):
    _matches: dict[tuple[object, str], ResolverMatch]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._matches = {}

    def resolve_request(self, request: HttpRequest) -> ResolverMatch:
        if hasattr(request, "urlconf") or len(request.path_info) > PATH_LENGTH_KEPT:
            return super().resolve_request(request)
        key = (get_resolver(), request.path_info)
        known = self._matches.get(key)
        if known is None:
            known = super().resolve_request(request)
            if len(self._matches) >= PATHS_KEPT:
                self._matches.clear()
            self._matches[key] = known
        match = ResolverMatch.__new__(ResolverMatch)  # (ResolverMatch refuses copy.copy)
        match.__dict__.update(known.__dict__)
        match.kwargs = dict(known.kwargs)
        request.resolver_match = match
        return match
