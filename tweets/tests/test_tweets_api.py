"""The tweets API: posting, mentions, reading, editing and deleting (interactions:
test_tweet_interactions.py)."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.tests.factories import UserFactory
from social import services as social
from tweets.models import Mention, Tweet, TweetEdit, TweetHashtag

from .api_helpers import TWEETS, notifications, refresh, url

pytestmark = pytest.mark.django_db

# --- Posting ----------------------------------------------------------------------------


def test_post_tweet_returns_contract_shape(user, auth_client):
    response = auth_client(user).post(TWEETS, {"text": "  Hello #World  "}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["text"] == "Hello #World"
    assert body["visibility"] == "public"
    assert body["author"]["username"] == user.username
    assert body["hashtags"] == ["world"]
    assert body["reply_to"] is None and body["quote_of"] is None and body["retweet_of"] is None
    assert body["edited_at"] is None
    for field in ("like_count", "retweet_count", "reply_count", "quote_count"):
        assert body[field] == 0
    assert body["liked"] is False and body["retweeted"] is False and body["bookmarked"] is False
    assert refresh(user).tweets_count == 1


@pytest.mark.parametrize("text", ["", "   ", "x" * 281, "😀" * 281])
def test_post_invalid_text_is_400_and_creates_nothing(user, auth_client, text):
    response = auth_client(user).post(TWEETS, {"text": text}, format="json")
    assert response.status_code == 400
    assert "text" in response.json()["error"]["fields"]
    assert not Tweet.objects.exists()
    assert refresh(user).tweets_count == 0


def test_post_280_code_points_is_fine(user, auth_client):
    assert auth_client(user).post(TWEETS, {"text": "😀" * 280}, format="json").status_code == 201


@pytest.mark.parametrize(
    "body",
    [{}, {"text": "hi", "visibility": "secret"}, {"text": "hi", "reply_to": "abc"}, {"text": ["a"]}],
)
def test_post_malformed_body_is_400(user, auth_client, body):
    response = auth_client(user).post(TWEETS, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_post_requires_authentication(api_client):
    response = api_client.post(TWEETS, {"text": "hi"}, format="json")
    assert response.status_code == 401
    assert not Tweet.objects.exists()


def test_reply_to_missing_tweet_is_404(user, auth_client):
    response = auth_client(user).post(TWEETS, {"text": "hi", "reply_to": 999999}, format="json")
    assert response.status_code == 404
    assert not Tweet.objects.exists()


def test_mentions_are_linked_and_notified(user, other_user, auth_client, post):
    body = post(user, f"hi @{other_user.username.upper()} and @nobody_here")
    assert body["mentions"] == [{"id": other_user.pk, "username": other_user.username}]
    assert notifications(other_user, "mention") == [(user.pk, body["id"])]


def test_reply_that_mentions_the_parents_author_notifies_once(user, other_user, auth_client, post):
    parent = post(other_user, "original")
    reply = post(user, f"@{other_user.username} I agree", reply_to=parent["id"])
    assert reply["mentions"] == [{"id": other_user.pk, "username": other_user.username}]
    assert notifications(other_user, "reply") == [(user.pk, reply["id"])]
    assert notifications(other_user, "mention") == []


def test_mention_across_a_block_is_not_linked_nor_notified(user, other_user, auth_client, post):
    social.block_create(blocker=other_user, blocked=user)
    body = post(user, f"hi @{other_user.username}")
    assert body["mentions"] == []
    assert not Mention.objects.exists()
    assert notifications(other_user, "mention") == []


def test_mention_in_followers_only_tweet_notifies_only_who_can_see_it(user, auth_client, post):
    follower, stranger = UserFactory(), UserFactory()
    social.follow_create(follower=follower, followee=user)
    body = post(user, f"@{follower.username} @{stranger.username}", visibility="followers")
    assert notifications(follower, "mention") == [(user.pk, body["id"])]
    assert notifications(stranger, "mention") == []


# --- Reading ----------------------------------------------------------------------------


def test_get_tweet_anonymous_has_no_viewer_fields(user, api_client, post):
    body = post(user)
    response = api_client.get(url(body["id"]))
    assert response.status_code == 200
    assert "liked" not in response.json()


@pytest.mark.parametrize("tweet_id", ["999999", "0"])
def test_get_missing_tweet_is_404_envelope(api_client, tweet_id):
    response = api_client.get(url(tweet_id))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- Edit -------------------------------------------------------------------------------


def test_author_edits_and_earlier_text_is_kept(user, other_user, auth_client, post):
    body = post(user, "first #old")
    response = auth_client(user).patch(url(body["id"]), {"text": f"second #new @{other_user.username}"}, format="json")
    assert response.status_code == 200
    edited = response.json()
    assert edited["text"] == f"second #new @{other_user.username}"
    assert edited["edited_at"] is not None
    assert edited["hashtags"] == ["new"]
    assert edited["mentions"] == [{"id": other_user.pk, "username": other_user.username}]
    assert list(TweetEdit.objects.values_list("text", flat=True)) == ["first #old"]
    assert notifications(other_user, "mention") == [(user.pk, body["id"])]
    assert TweetHashtag.objects.get().hashtag.name == "new"


def test_edit_removes_dropped_mentions(user, other_user, auth_client, post):
    body = post(user, f"hi @{other_user.username}")
    auth_client(user).patch(url(body["id"]), {"text": "hi nobody"}, format="json")
    assert not Mention.objects.exists()


def test_other_user_cannot_edit(user, other_user, auth_client, post):
    body = post(user, "mine")
    response = auth_client(other_user).patch(url(body["id"]), {"text": "theirs"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_author"
    tweet = Tweet.objects.get(pk=body["id"])
    assert tweet.text == "mine" and tweet.edited_at is None
    assert not TweetEdit.objects.exists()


def test_edit_validates_text(user, auth_client, post):
    body = post(user, "mine")
    response = auth_client(user).patch(url(body["id"]), {"text": "x" * 281}, format="json")
    assert response.status_code == 400
    assert Tweet.objects.get(pk=body["id"]).text == "mine"


def test_retweet_cannot_be_edited(user, other_user, auth_client, post):
    body = post(other_user)
    auth_client(user).post(url(body["id"], "/retweet"))
    retweet = Tweet.objects.get(retweet_of_id=body["id"])
    response = auth_client(user).patch(url(retweet.pk), {"text": "sneaky"}, format="json")
    assert response.status_code == 400
    assert Tweet.objects.get(pk=retweet.pk).text == ""


# --- Delete -----------------------------------------------------------------------------


def test_other_user_cannot_delete(user, other_user, auth_client, post):
    body = post(user)
    response = auth_client(other_user).delete(url(body["id"]))
    assert response.status_code == 403
    assert Tweet.objects.filter(pk=body["id"]).exists()
    assert refresh(user).tweets_count == 1


def test_anonymous_cannot_delete(user, api_client, post):
    body = post(user)
    assert api_client.delete(url(body["id"])).status_code == 401
    assert Tweet.objects.filter(pk=body["id"]).exists()


def test_delete_invisible_tweet_is_404(user, other_user, auth_client, post):
    body = post(user, "for followers", visibility="followers")
    assert auth_client(other_user).delete(url(body["id"])).status_code == 404
    assert Tweet.objects.filter(pk=body["id"]).exists()


def test_moderator_with_permission_can_delete(user, auth_client, post):
    body = post(user)
    moderator = UserFactory(is_staff=True)  # moderators are staff; the delete is logged (moderation/tests)
    group = Group.objects.create(name="test-moderators")
    group.permissions.add(Permission.objects.get(codename="delete_tweet", content_type__app_label="tweets"))
    moderator.groups.add(group)
    assert auth_client(moderator).delete(url(body["id"])).status_code == 204
    assert not Tweet.objects.filter(pk=body["id"]).exists()
    assert refresh(user).tweets_count == 0


def test_delete_original_removes_retweets_keeps_replies_and_counters(user, other_user, auth_client, post):
    original = post(user, "original")
    auth_client(other_user).post(url(original["id"], "/retweet"))
    reply = post(other_user, "a reply", reply_to=original["id"])
    quote = post(other_user, "a quote", quote_of=original["id"])
    assert refresh(other_user).tweets_count == 3

    assert auth_client(user).delete(url(original["id"])).status_code == 204

    assert not Tweet.objects.filter(retweet_of_id=original["id"]).exists()
    assert refresh(user).tweets_count == 0
    assert refresh(other_user).tweets_count == 2  # the retweet went with the original
    reply_body = auth_client(other_user).get(url(reply["id"])).json()
    assert reply_body["reply_to"] == original["id"]
    assert auth_client(other_user).get(url(original["id"])).status_code == 404
    assert auth_client(other_user).get(url(quote["id"])).json()["quote_of"] is None
    assert auth_client(user).delete(url(original["id"])).status_code == 404


def test_delete_reply_quote_and_retweet_decrement_counters(user, other_user, auth_client, post):
    original = post(user, "original")
    reply = post(other_user, "reply", reply_to=original["id"])
    quote = post(other_user, "quote", quote_of=original["id"])
    auth_client(other_user).post(url(original["id"], "/retweet"))
    tweet = Tweet.objects.get(pk=original["id"])
    assert (tweet.reply_count, tweet.quote_count, tweet.retweet_count) == (1, 1, 1)
    retweet = Tweet.objects.get(retweet_of_id=original["id"])
    for tweet_id in (reply["id"], quote["id"], retweet.pk):
        assert auth_client(other_user).delete(url(tweet_id)).status_code == 204
    tweet.refresh_from_db()
    assert (tweet.reply_count, tweet.quote_count, tweet.retweet_count) == (0, 0, 0)
    assert refresh(other_user).tweets_count == 0
