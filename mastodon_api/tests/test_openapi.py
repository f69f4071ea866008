"""The Mastodon client API in our OpenAPI schema: every route documented, nothing documented that
is not served, the shared paths described for both APIs, and the security scheme with the scopes."""

from __future__ import annotations

import re

import pytest
from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator

from mastodon_api import urls as mastodon_urls
from mastodon_api.openapi.operations import OPERATIONS
from mastodon_api.streaming import routing as streaming_routing

METHODS = ("get", "post", "put", "patch", "delete")
# Plain Django function views (no class to ask for its handlers).
FUNCTION_VIEW_METHODS = {
    "authorization_server_metadata": ["get"],
    "nodeinfo_links": ["get"],
    "nodeinfo": ["get"],
}
# Django's FormView (under django-oauth-toolkit's AuthorizationView) answers PUT exactly like POST;
# it is no part of OAuth, so the schema lists the browser's POST only.
UNDOCUMENTED = {("/oauth/authorize", "put")}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _template(regex: str) -> str:
    """``^api/v1/accounts/(?P<account_id>[^/]+)/?$`` as ``/api/v1/accounts/{account_id}``."""
    path = regex.removeprefix("^").removesuffix("$").removesuffix("/?")
    out, i = "", 0
    while i < len(path):
        named = re.match(r"\(\?P<(\w+)>", path[i:])
        if not named:
            out += path[i]
            i += 1
            continue
        depth, j = 0, i
        while True:  # to the group's closing parenthesis (groups nest: lookaheads, alternatives)
            depth += {"(": 1, ")": -1}.get(path[j], 0) if path[j - 1] != "\\" else 0
            j += 1
            if depth == 0:
                break
        out += "{" + named.group(1) + "}"
        i = j
    return "/" + out.replace("\\", "")


def _methods(callback) -> list[str]:
    view = getattr(callback, "mastodon_view", callback)
    view_class = getattr(view, "view_class", None) or getattr(view, "consumer_class", None)
    if view_class is None:
        return FUNCTION_VIEW_METHODS[view.__name__]
    if hasattr(view_class, "websocket_connect") or hasattr(view_class, "http_request"):
        return ["get"]  # a Channels consumer: the WebSocket handshake, or the event stream
    return [method for method in METHODS if hasattr(view_class, method)]


def _served_operations() -> set[tuple[str, str]]:
    served = set()
    patterns = [*mastodon_urls.urlpatterns, *streaming_routing.websocket_urlpatterns]
    for pattern in patterns:
        for method in _methods(pattern.callback):
            served.add((_template(pattern.pattern.regex.pattern), method))
    for pattern in streaming_routing.http_urlpatterns:
        streams = re.search(r"\(\?P<stream>([^)]*)\)", pattern.pattern.regex.pattern).group(1).split("|")
        served.update((f"/api/v1/streaming/{stream}", "get") for stream in streams)
    return served - UNDOCUMENTED


def _documented_mastodon_operations(schema) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "mastodon" in operation.get("tags", [])
    }


def test_every_mastodon_route_and_method_is_in_the_schema(schema):
    missing = _served_operations() - _documented_mastodon_operations(schema)
    assert not missing, f"routes of mastodon_api not in mastodon_api/openapi/operations/: {sorted(missing)}"


def test_the_schema_documents_no_mastodon_operation_that_is_not_served(schema):
    extra = _documented_mastodon_operations(schema) - _served_operations()
    assert not extra, sorted(extra)


# The streaming paths are served by the ASGI router, not Django's: the route listing covers them.
HTTP_OPERATIONS = [op for op in OPERATIONS if not op.path.startswith("/api/v1/streaming")]


@pytest.mark.parametrize("op", HTTP_OPERATIONS, ids=lambda op: op.operation_id)
def test_each_documented_http_path_resolves_to_the_mastodon_api(op):
    concrete = re.sub(r"\{\w+\}", "1", op.path)
    try:
        match = resolve(concrete)
    except Resolver404:  # pragma: no cover - the assertion below reports it
        match = None
    assert match is not None and match.namespace == "mastodon_api", op.path


def test_operation_ids_are_unique(schema):
    ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_mastodon_operations_use_the_oauth_scheme_with_the_scopes_they_check(schema):
    assert schema["components"]["securitySchemes"]["mastodonOAuth"]["type"] == "oauth2"
    flows = schema["components"]["securitySchemes"]["mastodonOAuth"]["flows"]
    assert {"authorizationCode", "password", "clientCredentials"} <= set(flows)
    assert "read:statuses" in flows["password"]["scopes"]
    home = schema["paths"]["/api/v1/timelines/home"]["get"]
    assert home["security"] == [{"mastodonOAuth": ["read:statuses"]}]
    public = schema["paths"]["/api/v1/timelines/public"]["get"]
    assert {} in public["security"]  # no token needed
    follow = schema["paths"]["/api/v1/accounts/{account_id}/follow"]["post"]
    assert follow["security"] == [{"mastodonOAuth": ["write:follows"]}, {"mastodonOAuth": ["follow"]}]


def test_mastodon_errors_have_mastodons_shape_and_lists_their_link_header(schema):
    home = schema["paths"]["/api/v1/timelines/home"]["get"]["responses"]
    for code in ("401", "403", "422", "429"):
        assert home[code]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/MastodonError"}
    assert "Retry-After" in home["429"]["headers"]
    assert "Link" in home["200"]["headers"]
    assert schema["components"]["schemas"]["MastodonError"]["properties"]["error"]["type"] == "string"


@pytest.mark.parametrize(
    ("path", "ours", "theirs"),
    [
        ("/api/v1/notifications", "PaginatedNotificationList", "MastodonNotification"),
        ("/api/v1/bookmarks", "PaginatedTweetList", "MastodonStatus"),
    ],
)
def test_a_path_of_both_apis_is_one_operation_describing_both(schema, path, ours, theirs):
    operation = schema["paths"][path]["get"]
    assert {"mastodon"} < set(operation["tags"])
    assert {"jwtAuth": []} in operation["security"]
    assert any("mastodonOAuth" in requirement for requirement in operation["security"])
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"]
    assert {"$ref": f"#/components/schemas/{ours}"} in ok
    assert {"type": "array", "items": {"$ref": f"#/components/schemas/{theirs}"}} in ok
    unauthorized = operation["responses"]["401"]["content"]["application/json"]["schema"]["oneOf"]
    assert unauthorized == [{"$ref": "#/components/schemas/Error"}, {"$ref": "#/components/schemas/MastodonError"}]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"cursor", "max_id", "limit"} <= names
    assert "chosen by the token" in operation["description"]
    # DELETE /api/v1/notifications is ours only (by_token keeps a method only ours has).
    if path == "/api/v1/notifications":
        assert "mastodon" not in schema["paths"][path]["delete"]["tags"]


def test_non_json_endpoints_say_what_they_answer(schema):
    authorize = schema["paths"]["/oauth/authorize"]["get"]["responses"]
    assert "text/html" in authorize["200"]["content"]
    assert "Location" in authorize["302"]["headers"]
    stream = schema["paths"]["/api/v1/streaming/user"]["get"]["responses"]
    assert "text/event-stream" in stream["200"]["content"]
    assert "101" in schema["paths"]["/api/v1/streaming"]["get"]["responses"]


def test_unread_count_is_one_operation_for_both_apis(schema):
    operation = schema["paths"]["/api/v1/notifications/unread_count"]["get"]
    assert {"mastodon"} < set(operation["tags"])
    assert {"jwtAuth": []} in operation["security"]
    assert any("mastodonOAuth" in requirement for requirement in operation["security"])
    assert "chosen by the token" in operation["description"] and "Link" not in operation["description"]
    assert {parameter["name"] for parameter in operation["parameters"]} >= {"limit", "types[]"}
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/UnreadCount"}  # the same shape in both APIs
