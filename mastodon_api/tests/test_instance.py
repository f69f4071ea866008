"""The instance documents and nodeinfo."""

from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from tweets.models import Tweet

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(db):
    alice, bob = UserFactory(), UserFactory()
    UserFactory(is_suspended=True)
    Tweet.objects.create(author=alice, text="one")
    Tweet.objects.create(author=bob, text="two")
    Tweet.objects.create(author=bob, text="hidden", is_hidden=True)
    return alice, bob


def test_instance_v1(client, network):
    body = client.get("/api/v1/instance").json()
    assert body["uri"] == "testserver"
    assert body["version"].startswith("4.2.0 (compatible; twitterclone ")
    assert body["urls"]["streaming_api"] == "ws://testserver"
    assert body["stats"] == {"user_count": 2, "status_count": 2, "domain_count": 0}
    assert body["configuration"]["statuses"]["max_characters"] == 280
    assert "polls" in body["configuration"] and "media_attachments" in body["configuration"]
    assert body["rules"] == []


def test_instance_v2(client, network):
    body = client.get("/api/v2/instance", secure=True).json()
    assert body["domain"] == "testserver"
    assert body["version"].startswith("4.2.0 (compatible; twitterclone ")
    assert body["api_versions"] == {"mastodon": 1}
    configuration = body["configuration"]
    assert configuration["urls"]["streaming"] == "wss://testserver"
    assert configuration["statuses"]["max_characters"] == 280
    assert set(configuration["polls"]) >= {"max_options", "max_expiration"}
    assert "supported_mime_types" in configuration["media_attachments"]
    assert body["registrations"]["enabled"] is True


def test_instance_stats_are_cached(client, network, django_assert_num_queries):
    client.get("/api/v1/instance")
    with django_assert_num_queries(0):
        assert client.get("/api/v2/instance").status_code == 200


def test_nodeinfo(client, network):
    links = client.get("/.well-known/nodeinfo").json()["links"]
    assert links == [
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": "http://testserver/nodeinfo/2.0"}
    ]
    body = client.get("/nodeinfo/2.0").json()
    assert body["version"] == "2.0"
    assert body["software"]["name"] == "twitterclone"
    assert body["usage"]["users"]["total"] == 2 and body["usage"]["localPosts"] == 2
    assert body["openRegistrations"] is True


def test_instance_needs_no_token_but_a_bad_one_is_refused(client, network):
    assert client.get("/api/v1/instance").status_code == 200
    assert client.get("/api/v1/instance", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_instance_refuses_writes_in_mastodon_shape(client):
    response = client.post("/api/v1/instance")
    assert response.status_code == 405
    assert set(response.json()) == {"error"}
