"""GET /api/v1/statuses/:id/favourited_by and /reblogged_by: accounts, paged with Link."""

from __future__ import annotations

import re

import pytest

from accounts.tests.factories import UserFactory
from social.services import block_create, follow_create
from tweets.models import Like, Tweet
from tweets.services import like_create, retweet_create, tweet_create

pytestmark = pytest.mark.django_db


def _links(response) -> dict[str, str]:
    header = response["Link"]
    assert re.fullmatch(r'<[^>]+>; rel="next", <[^>]+>; rel="prev"', header), header
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', header)}


def test_favourited_by_pages_most_recent_first(mastodon_client, client):
    author = UserFactory(username="author")
    tweet = tweet_create(author=author, text="popular")
    fans = [UserFactory(username=f"fan{n}") for n in range(5)]
    for fan in fans:
        like_create(user=fan, tweet_id=tweet.pk)
    reader = mastodon_client(author)
    first = reader.get(f"/api/v1/statuses/{tweet.pk}/favourited_by", {"limit": 2})
    assert first.status_code == 200, first.content
    assert [a["username"] for a in first.json()] == ["fan4", "fan3"]
    assert first.json()[0]["acct"] == "fan4" and first.json()[0]["id"] == str(fans[4].pk)
    links = _links(first)
    like_ids = list(Like.objects.filter(tweet=tweet).order_by("-id").values_list("id", flat=True))
    assert f"max_id={like_ids[1]}" in links["next"] and "limit=2" in links["next"]
    second = reader.get(links["next"])
    assert [a["username"] for a in second.json()] == ["fan2", "fan1"]
    back = reader.get(_links(second)["prev"])
    assert [a["username"] for a in back.json()] == ["fan4", "fan3"]
    assert [a["username"] for a in client.get(f"/api/v1/statuses/{tweet.pk}/favourited_by").json()] == [
        f"fan{n}" for n in range(4, -1, -1)
    ]  # public status: no token needed; default limit 40
    assert len(reader.get(f"/api/v1/statuses/{tweet.pk}/favourited_by", {"limit": 1000}).json()) == 5
    assert reader.get(f"/api/v1/statuses/{tweet.pk}/favourited_by", {"limit": "x"}).status_code == 422
    assert reader.get(f"/api/v1/statuses/{tweet.pk}/favourited_by", {"max_id": "-1"}).status_code == 422


def test_reblogged_by(mastodon_client):
    author, first, second = UserFactory(), UserFactory(username="first"), UserFactory(username="second")
    tweet = tweet_create(author=author, text="share me")
    retweet_create(user=first, tweet_id=tweet.pk)
    retweet_create(user=second, tweet_id=tweet.pk)
    response = mastodon_client(author).get(f"/api/v1/statuses/{tweet.pk}/reblogged_by")
    assert [a["username"] for a in response.json()] == ["second", "first"]
    newest = Tweet.objects.filter(retweet_of=tweet).order_by("-id").first()
    assert f"min_id={newest.pk}" in _links(response)["prev"]
    assert mastodon_client(author).get(f"/api/v1/statuses/{tweet.pk}/favourited_by").json() == []  # no likes


def test_lists_of_a_status_one_cannot_see_are_404(mastodon_client, client):
    author, stranger = UserFactory(), UserFactory()
    secret = tweet_create(author=author, text="followers only", visibility="followers")
    public = tweet_create(author=author, text="public")
    for kind in ("favourited_by", "reblogged_by"):
        assert mastodon_client(stranger).get(f"/api/v1/statuses/{secret.pk}/{kind}").status_code == 404
        assert client.get(f"/api/v1/statuses/{secret.pk}/{kind}").status_code == 404
        assert mastodon_client(author).get(f"/api/v1/statuses/{secret.pk}/{kind}").status_code == 200
    follow_create(follower=stranger, followee=author)
    assert mastodon_client(stranger).get(f"/api/v1/statuses/{secret.pk}/favourited_by").status_code == 200
    block_create(blocker=author, blocked=stranger)
    response = mastodon_client(stranger).get(f"/api/v1/statuses/{public.pk}/favourited_by")
    assert response.status_code == 404 and response.json() == {"error": "Record not found"}


def test_scopes(mastodon_client, client):
    author = UserFactory()
    tweet = tweet_create(author=author, text="hi")
    assert mastodon_client(author, scope="write").get(f"/api/v1/statuses/{tweet.pk}/favourited_by").status_code == 403
    bad = client.get(f"/api/v1/statuses/{tweet.pk}/reblogged_by", HTTP_AUTHORIZATION="Bearer nonsense")
    assert bad.status_code == 401
