"""Statuses, timelines, accounts, notifications, bookmarks and favourites in Mastodon's shapes,
with Link-header pagination."""

from __future__ import annotations

import re

import pytest

from accounts.tests.factories import UserFactory
from notifications.models import Notification
from social.services import follow_create
from tweets.models import Bookmark, Like, Tweet
from tweets.services import tweet_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


def _links(response) -> dict[str, str]:
    header = response["Link"]
    assert re.fullmatch(r'<[^>]+>; rel="next", <[^>]+>; rel="prev"', header), header
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', header)}


def test_post_a_status_with_json_and_read_it_back(mastodon_client, alice, bob):
    client = mastodon_client(alice)
    response = client.post(
        "/api/v1/statuses",
        {"status": "Hello @bob, see #Django <script>", "visibility": "public", "language": "en", "sensitive": False},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == str(Tweet.objects.get().pk)
    assert body["account"]["username"] == "alice"
    assert body["visibility"] == "public"
    assert body["content"] == (
        '<p>Hello <span class="h-card"><a href="http://testserver/api/v1/users/bob" class="u-url mention">'
        '@<span>bob</span></a></span>, see <a href="http://testserver/api/v1/hashtags/Django/tweets" '
        'class="mention hashtag" rel="tag">#<span>Django</span></a> &lt;script&gt;</p>'
    )
    assert body["mentions"] == [
        {"id": str(bob.pk), "username": "bob", "acct": "bob", "url": "http://testserver/api/v1/users/bob"}
    ]
    assert body["tags"][0]["name"] == "django"
    assert body["media_attachments"] == [] and body["emojis"] == [] and body["reblog"] is None
    assert body["favourited"] is False and body["reblogged"] is False and body["bookmarked"] is False
    fetched = client.get(f"/api/v1/statuses/{body['id']}").json()
    assert fetched["id"] == body["id"] and fetched["content"] == body["content"]


def test_post_with_a_form_private_maps_to_followers_and_reply(mastodon_client, alice, bob):
    parent = tweet_create(author=bob, text="parent")
    client = mastodon_client(alice)
    response = client.post(
        "/api/v1/statuses", {"status": "secret reply", "visibility": "private", "in_reply_to_id": str(parent.pk)}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["visibility"] == "private"
    assert Tweet.objects.get(pk=int(body["id"])).visibility == "followers"
    assert body["in_reply_to_id"] == str(parent.pk) and body["in_reply_to_account_id"] == str(bob.pk)
    # unlisted is accepted and is public here
    body = client.post("/api/v1/statuses", {"status": "quiet", "visibility": "unlisted"}).json()
    assert body["visibility"] == "public"


@pytest.mark.parametrize(
    "payload",
    [
        {"status": ""},
        {"status": "x" * 281},
        {},
        {"status": "hi", "visibility": "direct"},
        {"status": "hi", "spoiler_text": "cw"},
        {"status": "later", "scheduled_at": "2030-01-01T00:00:00Z"},
        {"status": "hi", "in_reply_to_id": "abc"},
        {"status": ["list"]},
    ],
)
def test_invalid_statuses_are_422(mastodon_client, alice, payload):
    response = mastodon_client(alice).post("/api/v1/statuses", payload, format="json")
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"error"}
    assert not Tweet.objects.exists()


def test_reply_to_an_invisible_status_is_404(mastodon_client, alice, bob):
    hidden = tweet_create(author=bob, text="for followers", visibility="followers")
    response = mastodon_client(alice).post(
        "/api/v1/statuses", {"status": "hi", "in_reply_to_id": str(hidden.pk)}, format="json"
    )
    assert response.status_code == 404 and response.json() == {"error": "Record not found"}
    assert mastodon_client(alice).get(f"/api/v1/statuses/{hidden.pk}").status_code == 404


def test_idempotency_key_gives_the_same_status(mastodon_client, alice):
    client = mastodon_client(alice)
    first = client.post("/api/v1/statuses", {"status": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = client.post("/api/v1/statuses", {"status": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.json()["id"] == second.json()["id"]
    assert Tweet.objects.count() == 1
    third = client.post("/api/v1/statuses", {"status": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert third.json()["id"] != first.json()["id"]


def test_posting_needs_the_write_scope(mastodon_client, alice):
    response = mastodon_client(alice, scope="read").post("/api/v1/statuses", {"status": "no"}, format="json")
    assert response.status_code == 403
    assert not Tweet.objects.exists()


def test_edit_and_delete_only_own_status(mastodon_client, alice, bob):
    tweet = tweet_create(author=alice, text="first")
    edited = mastodon_client(alice).put(f"/api/v1/statuses/{tweet.pk}", {"status": "second"}, format="json")
    assert edited.status_code == 200 and "second" in edited.json()["content"] and edited.json()["edited_at"]
    assert mastodon_client(bob).put(f"/api/v1/statuses/{tweet.pk}", {"status": "x"}, format="json").status_code == 403
    assert mastodon_client(bob).delete(f"/api/v1/statuses/{tweet.pk}").status_code == 403
    deleted = mastodon_client(alice).delete(f"/api/v1/statuses/{tweet.pk}")
    assert deleted.status_code == 200 and deleted.json()["text"] == "second"
    assert not Tweet.objects.filter(pk=tweet.pk).exists()


def test_favourite_reblog_bookmark_and_undo(mastodon_client, alice, bob):
    tweet = tweet_create(author=bob, text="nice")
    client = mastodon_client(alice)
    body = client.post(f"/api/v1/statuses/{tweet.pk}/favourite").json()
    assert body["favourited"] is True and body["favourites_count"] == 1
    assert client.post(f"/api/v1/statuses/{tweet.pk}/favourite").json()["favourites_count"] == 1  # idempotent
    reblog = client.post(f"/api/v1/statuses/{tweet.pk}/reblog").json()
    assert reblog["reblog"]["id"] == str(tweet.pk) and reblog["account"]["username"] == "alice"
    assert reblog["reblog"]["reblogs_count"] == 1 and reblog["reblog"]["reblogged"] is True
    assert client.post(f"/api/v1/statuses/{tweet.pk}/bookmark").json()["bookmarked"] is True
    assert Like.objects.count() == 1 and Bookmark.objects.count() == 1
    assert client.post(f"/api/v1/statuses/{tweet.pk}/unfavourite").json()["favourited"] is False
    assert client.post(f"/api/v1/statuses/{tweet.pk}/unreblog").json()["reblogged"] is False
    assert client.post(f"/api/v1/statuses/{tweet.pk}/unbookmark").json()["bookmarked"] is False
    assert not Like.objects.exists() and not Bookmark.objects.exists()


def test_context(mastodon_client, alice, bob):
    root = tweet_create(author=alice, text="root")
    reply = tweet_create(author=bob, text="reply", reply_to_id=root.pk)
    body = mastodon_client(alice).get(f"/api/v1/statuses/{reply.pk}/context").json()
    assert [s["id"] for s in body["ancestors"]] == [str(root.pk)] and body["descendants"] == []


def test_home_timeline_pages_with_link_headers(mastodon_client, alice, bob):
    follow_create(follower=alice, followee=bob)
    ids = [tweet_create(author=bob, text=f"post {n}").pk for n in range(5)]
    client = mastodon_client(alice)
    first = client.get("/api/v1/timelines/home", {"limit": 2})
    assert [s["id"] for s in first.json()] == [str(ids[4]), str(ids[3])]
    links = _links(first)
    assert links["next"].startswith("http://testserver/api/v1/timelines/home?")
    assert f"max_id={ids[3]}" in links["next"] and "limit=2" in links["next"]
    assert f"min_id={ids[4]}" in links["prev"]
    second = client.get(links["next"].removeprefix("http://testserver"))
    assert [s["id"] for s in second.json()] == [str(ids[2]), str(ids[1])]
    newer = client.get("/api/v1/timelines/home", {"min_id": ids[1], "limit": 2})
    assert [s["id"] for s in newer.json()] == [str(ids[3]), str(ids[2])]
    since = client.get("/api/v1/timelines/home", {"since_id": ids[2]})
    assert [s["id"] for s in since.json()] == [str(ids[4]), str(ids[3])]
    assert client.get("/api/v1/timelines/home", {"max_id": "x"}).status_code == 422


def test_public_and_tag_timelines_follow_the_visibility_rule(mastodon_client, alice, bob, client):
    public = tweet_create(author=bob, text="hello #news")
    tweet_create(author=bob, text="followers #news", visibility="followers")
    body = mastodon_client(alice).get("/api/v1/timelines/public").json()
    assert [s["id"] for s in body] == [str(public.pk)]
    assert [s["id"] for s in client.get("/api/v1/timelines/public").json()] == [str(public.pk)]  # no token
    assert [s["id"] for s in client.get("/api/v1/timelines/tag/news").json()] == [str(public.pk)]
    follow_create(follower=alice, followee=bob)
    assert len(mastodon_client(alice).get("/api/v1/timelines/tag/NEWS").json()) == 2


def test_accounts_endpoints(mastodon_client, alice, bob):
    tweet_create(author=bob, text="one")
    client = mastodon_client(alice)
    account = client.get(f"/api/v1/accounts/{bob.pk}").json()
    assert account["username"] == "bob" and account["last_status_at"]
    assert client.get("/api/v1/accounts/lookup", {"acct": "bob"}).json()["id"] == str(bob.pk)
    assert client.get("/api/v1/accounts/lookup", {"acct": "nobody"}).status_code == 404
    assert client.get("/api/v1/accounts/999999").status_code == 404
    relationship = client.post(f"/api/v1/accounts/{bob.pk}/follow").json()
    assert relationship["following"] is True and relationship["id"] == str(bob.pk)
    assert bob.__class__.objects.get(pk=bob.pk).followers_count == 1
    statuses = client.get(f"/api/v1/accounts/{bob.pk}/statuses").json()
    assert [s["content"] for s in statuses] == ["<p>one</p>"]
    followers = client.get(f"/api/v1/accounts/{bob.pk}/followers")
    assert [a["id"] for a in followers.json()] == [str(alice.pk)]
    assert "Link" in followers
    rels = client.get("/api/v1/accounts/relationships", {"id[]": [bob.pk, 12345]}).json()
    assert [(r["id"], r["following"]) for r in rels] == [(str(bob.pk), True)]
    assert client.post(f"/api/v1/accounts/{bob.pk}/unfollow").json()["following"] is False
    assert client.post(f"/api/v1/accounts/{bob.pk}/block").json()["blocking"] is True
    assert client.post(f"/api/v1/accounts/{bob.pk}/unblock").json()["blocking"] is False
    assert client.post(f"/api/v1/accounts/{bob.pk}/mute").json()["muting"] is True
    assert client.post(f"/api/v1/accounts/{alice.pk}/follow").status_code == 422  # yourself
    assert [a["username"] for a in client.get("/api/v1/accounts/search", {"q": "bo"}).json()] == ["bob"]


def test_blocked_user_cannot_follow(mastodon_client, alice, bob):
    from social.services import block_create

    block_create(blocker=bob, blocked=alice)
    response = mastodon_client(alice).post(f"/api/v1/accounts/{bob.pk}/follow")
    assert response.status_code in (403, 404) and set(response.json()) == {"error"}
    assert bob.__class__.objects.get(pk=bob.pk).followers_count == 0


def test_notifications_in_mastodon_shape_and_our_api_unchanged(mastodon_client, auth_client, alice, bob):
    tweet = tweet_create(author=alice, text="like me")
    follow_create(follower=bob, followee=alice)
    mastodon_client(bob).post(f"/api/v1/statuses/{tweet.pk}/favourite")
    client = mastodon_client(alice)
    body = client.get("/api/v1/notifications").json()
    assert [(n["type"], n["account"]["username"]) for n in body] == [("favourite", "bob"), ("follow", "bob")]
    assert body[0]["status"]["id"] == str(tweet.pk) and body[1]["status"] is None
    only = client.get("/api/v1/notifications", {"types[]": ["follow"]}).json()
    assert [n["type"] for n in only] == ["follow"]
    without = client.get("/api/v1/notifications", {"exclude_types[]": ["follow"]}).json()
    assert [n["type"] for n in without] == ["favourite"]
    one = client.get(f"/api/v1/notifications/{body[0]['id']}").json()
    assert one["id"] == body[0]["id"]
    # Our API, same path, with a JWT: our envelope.
    ours = auth_client(alice).get("/api/v1/notifications").json()
    assert set(ours) == {"results", "next", "previous"} and ours["results"][0]["type"] == "like"
    assert auth_client(alice).get("/api/v1/notifications/unread_count").json() == {"count": 2}
    # Someone else's notification cannot be read or dismissed.
    assert mastodon_client(bob).get(f"/api/v1/notifications/{body[0]['id']}").status_code == 404
    mastodon_client(bob).post(f"/api/v1/notifications/{body[0]['id']}/dismiss")
    assert Notification.objects.filter(pk=int(body[0]["id"])).exists()
    assert client.post(f"/api/v1/notifications/{body[0]['id']}/dismiss").json() == {}
    assert not Notification.objects.filter(pk=int(body[0]["id"])).exists()
    assert client.post("/api/v1/notifications/clear").json() == {}
    assert not Notification.objects.filter(recipient=alice).exists()


def test_bookmarks_and_favourites_lists(mastodon_client, auth_client, alice, bob):
    first, second = tweet_create(author=bob, text="a"), tweet_create(author=bob, text="b")
    client = mastodon_client(alice)
    for tweet in (second, first):  # bookmarked in this order: first is the most recent bookmark
        client.post(f"/api/v1/statuses/{tweet.pk}/bookmark")
        client.post(f"/api/v1/statuses/{tweet.pk}/favourite")
    bookmarks = client.get("/api/v1/bookmarks", {"limit": 1})
    assert [s["id"] for s in bookmarks.json()] == [str(first.pk)]
    older = client.get(_links(bookmarks)["next"].removeprefix("http://testserver"))
    assert [s["id"] for s in older.json()] == [str(second.pk)]
    assert [s["id"] for s in client.get("/api/v1/favourites").json()] == [str(first.pk), str(second.pk)]
    ours = auth_client(alice).get("/api/v1/bookmarks").json()
    assert [t["id"] for t in ours["results"]] == [first.pk, second.pk]


def test_search_trends_preferences_and_empty_lists(mastodon_client, alice, bob):
    tweet_create(author=bob, text="searching for #answers")
    client = mastodon_client(alice)
    body = client.get("/api/v2/search", {"q": "answers"}).json()
    assert [s["account"]["username"] for s in body["statuses"]] == ["bob"]
    assert body["hashtags"][0]["name"] == "answers"
    assert [
        a["username"] for a in client.get("/api/v2/search", {"q": "bob", "type": "accounts"}).json()["accounts"]
    ] == ["bob"]
    assert client.get("/api/v1/trends/tags").json()[0]["name"] == "answers"
    assert client.get("/api/v1/preferences").json()["posting:default:visibility"] == "public"
    for path in ("custom_emojis", "announcements", "filters", "lists", "followed_tags", "follow_requests"):
        response = client.get(f"/api/v1/{path}")
        assert response.status_code == 200 and response.json() == [], path
    assert client.get("/api/v2/filters").json() == []


def test_a_page_costs_a_fixed_number_of_queries(mastodon_client, alice, bob, django_assert_max_num_queries):
    follow_create(follower=alice, followee=bob)
    root = tweet_create(author=bob, text="root")
    for n in range(15):
        tweet = tweet_create(author=bob, text=f"#tag{n} @alice", reply_to_id=root.pk)
        Like.objects.create(user=alice, tweet=tweet)
    client = mastodon_client(alice)
    with django_assert_max_num_queries(14):
        assert len(client.get("/api/v1/timelines/home").json()) == 16


def test_mastodon_posts_count_against_the_users_post_limit(mastodon_client, auth_client, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "post": {"rate": "2/1h", "per": "user"}}
    client = mastodon_client(alice)
    assert client.post("/api/v1/statuses", {"status": "one"}, format="json").status_code == 200
    # The same user's JWT shares the budget: one limiter, one identity.
    assert auth_client(alice).post("/api/v1/tweets", {"text": "two"}, format="json").status_code == 201
    refused = client.post("/api/v1/statuses", {"status": "three"}, format="json")
    assert refused.status_code == 429 and "Retry-After" in refused
    assert Tweet.objects.count() == 2
