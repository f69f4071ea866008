"""Helpers shared by the tweets API tests."""

from accounts.models import User
from notifications.models import Notification

TWEETS = "/api/v1/tweets"


def url(tweet_id, suffix=""):
    return f"{TWEETS}/{tweet_id}{suffix}"


def refresh(user):
    return User.objects.get(pk=user.pk)


def notifications(recipient, type_):
    return list(Notification.objects.filter(recipient=recipient, type=type_).values_list("actor_id", "tweet_id"))
