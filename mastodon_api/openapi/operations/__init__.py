"""Every operation of the Mastodon client API, as data: path, method, scopes, parameters, body and
answer. ``mastodon_api.openapi.hook`` turns them into OpenAPI operations; the views stay free of
annotations. A route added to ``mastodon_api/urls.py`` without an entry here fails
``mastodon_api/tests/test_openapi.py``.

Paths use the names of the URL patterns' groups (``{account_id}``); each route also answers with a
trailing slash, which is not listed twice."""

from __future__ import annotations

from . import accounts, misc, oauth, statuses, timelines
from ._base import FORM, JSON, MULTIPART, Operation

OPERATIONS: tuple[Operation, ...] = (
    *oauth.OPERATIONS,
    *accounts.OPERATIONS,
    *statuses.OPERATIONS,
    *timelines.OPERATIONS,
    *misc.OPERATIONS,
)

__all__ = ["FORM", "JSON", "MULTIPART", "OPERATIONS", "Operation"]
