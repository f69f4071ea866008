"""The tweets API: replies, quotes, context, likes, retweets, bookmarks and blocks (posting,
editing, deleting: test_tweets_api.py)."""

import pytest

from accounts.tests.factories import UserFactory
from notifications.models import Notification
from social import services as social
from tweets.models import Bookmark, Like, Tweet

from .api_helpers import TWEETS, notifications, refresh, url

pytestmark = pytest.mark.django_db


# --- Replies, quotes, context -------------------------------------------------------------


def test_reply_counts_and_notifies_parent_author(user, other_user, auth_client, post):
    parent = post(user, "parent")
    reply = post(other_user, "reply", reply_to=parent["id"])
    assert reply["reply_to"] == parent["id"]
    assert auth_client(user).get(url(parent["id"])).json()["reply_count"] == 1
    assert notifications(user, "reply") == [(other_user.pk, reply["id"])]


def test_reply_to_a_retweet_replies_to_the_original(user, other_user, auth_client, post):
    original = post(user, "original")
    auth_client(other_user).post(url(original["id"], "/retweet"))
    retweet = Tweet.objects.get(retweet_of_id=original["id"])
    reply = post(other_user, "reply", reply_to=retweet.pk)
    assert reply["reply_to"] == original["id"]


def test_quote_embeds_quoted_tweet_and_notifies(user, other_user, auth_client, post):
    quoted = post(user, "quoted")
    quote = post(other_user, "look", quote_of=quoted["id"])
    assert quote["quote_of"]["id"] == quoted["id"]
    assert quote["quote_of"]["author"]["username"] == user.username
    assert notifications(user, "quote") == [(other_user.pk, quote["id"])]
    assert auth_client(user).get(url(quoted["id"])).json()["quote_count"] == 1


def test_only_author_can_quote_or_retweet_followers_only_tweet(user, other_user, auth_client, post):
    social.follow_create(follower=other_user, followee=user)
    private = post(user, "private", visibility="followers")
    response = auth_client(other_user).post(TWEETS, {"text": "q", "quote_of": private["id"]}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "followers_only"
    response = auth_client(other_user).post(url(private["id"], "/retweet"))
    assert response.status_code == 403
    assert Tweet.objects.count() == 1
    assert auth_client(user).post(url(private["id"], "/retweet")).status_code == 200


def test_replies_list(user, other_user, auth_client, post):
    parent = post(user, "parent")
    first = post(other_user, "first", reply_to=parent["id"])
    second = post(user, "second", reply_to=parent["id"])
    post(user, "unrelated")
    response = auth_client(user).get(url(parent["id"], "/replies"))
    assert [item["id"] for item in response.json()["results"]] == [second["id"], first["id"]]


def test_replies_of_invisible_tweet_is_404(user, other_user, auth_client, post):
    parent = post(user, "private", visibility="followers")
    assert auth_client(other_user).get(url(parent["id"], "/replies")).status_code == 404


def test_context_gives_ancestors_and_descendants_in_order(user, other_user, auth_client, post):
    root = post(user, "root")
    a = post(other_user, "a", reply_to=root["id"])
    a1 = post(user, "a1", reply_to=a["id"])
    b = post(other_user, "b", reply_to=root["id"])
    a2 = post(other_user, "a2", reply_to=a["id"])
    a1x = post(other_user, "a1x", reply_to=a1["id"])
    response = auth_client(user).get(url(a["id"], "/context"))
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["ancestors"]] == [root["id"]]
    assert [item["id"] for item in body["descendants"]] == [a1["id"], a1x["id"], a2["id"]]
    body = auth_client(user).get(url(a1x["id"], "/context")).json()
    assert [item["id"] for item in body["ancestors"]] == [root["id"], a["id"], a1["id"]]
    assert b["id"] not in [item["id"] for item in body["descendants"]]


def test_context_hides_invisible_replies_and_their_subtrees(user, other_user, auth_client, post):
    root = post(user, "root")
    hidden = post(other_user, "hidden", reply_to=root["id"])
    below = post(user, "below hidden", reply_to=hidden["id"])
    Tweet.objects.filter(pk=hidden["id"]).update(is_hidden=True)
    ids = [item["id"] for item in auth_client(UserFactory()).get(url(root["id"], "/context")).json()["descendants"]]
    assert hidden["id"] not in ids and below["id"] not in ids


# --- Likes, retweets, bookmarks ------------------------------------------------------------


def test_like_is_idempotent_and_unlike_too(user, other_user, auth_client, post):
    body = post(user)
    client = auth_client(other_user)
    first = client.post(url(body["id"], "/like"))
    second = client.post(url(body["id"], "/like"))
    assert first.status_code == second.status_code == 200
    assert second.json()["like_count"] == 1 and second.json()["liked"] is True
    assert notifications(user, "like") == [(other_user.pk, body["id"])]
    for _ in range(2):
        response = client.delete(url(body["id"], "/like"))
        assert response.status_code == 200
        assert response.json()["like_count"] == 0 and response.json()["liked"] is False
    assert not Like.objects.exists()


def test_like_missing_tweet_is_404(user, auth_client):
    assert auth_client(user).post(url(424242, "/like")).status_code == 404
    assert auth_client(user).delete(url(424242, "/like")).status_code == 404


def test_liking_a_retweet_likes_the_original(user, other_user, auth_client, post):
    body = post(user)
    auth_client(other_user).post(url(body["id"], "/retweet"))
    retweet = Tweet.objects.get(retweet_of_id=body["id"])
    response = auth_client(other_user).post(url(retweet.pk, "/like"))
    assert response.json()["id"] == body["id"]
    assert Like.objects.get().tweet_id == body["id"]


def test_retweet_once_per_user_and_unretweet(user, other_user, auth_client, post):
    body = post(user)
    client = auth_client(other_user)
    for _ in range(2):
        response = client.post(url(body["id"], "/retweet"))
        assert response.status_code == 200
    assert response.json()["retweet_count"] == 1 and response.json()["retweeted"] is True
    assert Tweet.objects.filter(retweet_of_id=body["id"]).count() == 1
    assert refresh(other_user).tweets_count == 1
    assert notifications(user, "retweet") == [(other_user.pk, body["id"])]
    for _ in range(2):
        response = client.delete(url(body["id"], "/retweet"))
        assert response.status_code == 200
    assert response.json()["retweet_count"] == 0 and response.json()["retweeted"] is False
    assert refresh(other_user).tweets_count == 0


def test_retweet_of_retweet_retweets_original(user, other_user, auth_client, post):
    body = post(user)
    auth_client(other_user).post(url(body["id"], "/retweet"))
    retweet = Tweet.objects.get(retweet_of_id=body["id"])
    third = UserFactory()
    response = auth_client(third).post(url(retweet.pk, "/retweet"))
    assert response.json()["id"] == body["id"]
    assert Tweet.objects.get(author=third).retweet_of_id == body["id"]


def test_bookmarks_are_private_and_idempotent(user, other_user, auth_client, post):
    body = post(user)
    client = auth_client(other_user)
    assert client.post(url(body["id"], "/bookmark")).json()["bookmarked"] is True
    client.post(url(body["id"], "/bookmark"))
    assert Bookmark.objects.count() == 1
    assert not Notification.objects.filter(recipient=user).exists()
    assert auth_client(user).get(url(body["id"])).json()["bookmarked"] is False
    assert client.delete(url(body["id"], "/bookmark")).json()["bookmarked"] is False
    assert not Bookmark.objects.exists()


def test_actions_require_authentication(user, api_client, post):
    body = post(user)
    for suffix in ("/like", "/retweet", "/bookmark"):
        assert api_client.post(url(body["id"], suffix)).status_code == 401


def test_liked_by_and_retweeted_by(user, other_user, auth_client, post):
    body = post(user)
    third = UserFactory()
    for liker in (other_user, third):
        auth_client(liker).post(url(body["id"], "/like"))
    auth_client(third).post(url(body["id"], "/retweet"))
    liked_by = auth_client(user).get(url(body["id"], "/liked_by")).json()["results"]
    assert [item["username"] for item in liked_by] == [third.username, other_user.username]
    assert liked_by[0]["following"] is False
    retweeted_by = auth_client(user).get(url(body["id"], "/retweeted_by")).json()["results"]
    assert [item["username"] for item in retweeted_by] == [third.username]


def test_liked_by_of_invisible_tweet_is_404(user, other_user, auth_client, post):
    body = post(user, "private", visibility="followers")
    assert auth_client(other_user).get(url(body["id"], "/liked_by")).status_code == 404
    assert auth_client(other_user).get(url(body["id"], "/retweeted_by")).status_code == 404


# --- Blocks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("blocker_is_author", [True, False])
def test_no_interaction_across_a_block(user, other_user, auth_client, post, blocker_is_author):
    body = post(user, "mine")
    if blocker_is_author:
        social.block_create(blocker=user, blocked=other_user)
    else:
        social.block_create(blocker=other_user, blocked=user)
    client = auth_client(other_user)
    for suffix in ("/like", "/retweet"):
        response = client.post(url(body["id"], suffix))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "blocked"
    for field in ("reply_to", "quote_of"):
        response = client.post(TWEETS, {"text": "x", field: body["id"]}, format="json")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "blocked"
    assert Tweet.objects.count() == 1
    assert not Like.objects.exists()
    tweet = Tweet.objects.get()
    assert (tweet.like_count, tweet.retweet_count, tweet.reply_count, tweet.quote_count) == (0, 0, 0, 0)


def test_blocked_user_cannot_see_blockers_tweets(user, other_user, auth_client, post):
    body = post(user, "mine")
    social.block_create(blocker=user, blocked=other_user)
    assert auth_client(other_user).get(url(body["id"])).status_code == 404
    assert auth_client(other_user).get(f"/api/v1/users/{user.username}/tweets").status_code == 404
    # The blocker still sees the blocked user's tweets.
    theirs = post(other_user, "theirs")
    assert auth_client(user).get(url(theirs["id"])).status_code == 200


def test_bookmarking_an_invisible_tweet_is_404(user, other_user, auth_client, post):
    body = post(user, "private", visibility="followers")
    assert auth_client(other_user).post(url(body["id"], "/bookmark")).status_code == 404
    assert not Bookmark.objects.exists()


def test_unretweet_by_the_retweets_own_id(user, other_user, auth_client, post):
    body = post(user)
    auth_client(other_user).post(url(body["id"], "/retweet"))
    retweet = Tweet.objects.get(retweet_of_id=body["id"])
    response = auth_client(other_user).delete(url(retweet.pk, "/retweet"))
    assert response.status_code == 200
    assert response.json()["id"] == body["id"] and response.json()["retweet_count"] == 0
    assert not Tweet.objects.filter(pk=retweet.pk).exists()


def test_another_users_retweet_cannot_be_deleted_by_unretweet(user, other_user, auth_client, post):
    body = post(user)
    auth_client(other_user).post(url(body["id"], "/retweet"))
    third = UserFactory()
    auth_client(third).delete(url(body["id"], "/retweet"))
    assert Tweet.objects.filter(retweet_of_id=body["id"], author=other_user).exists()
    assert Tweet.objects.get(pk=body["id"]).retweet_count == 1
