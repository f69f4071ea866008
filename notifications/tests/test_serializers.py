"""The notification serializer runs no query: a notification's tweet is attached where the page
is built (``selectors.notifications_for_display``), as the recipient may see it now."""

import pytest
from django.contrib.auth.models import AnonymousUser

from notifications import selectors
from notifications.serializers import NotificationSerializer, ViewerOnly
from tweets import services as tweets
from tweets.models import Tweet
from tweets.serializers import MissingDisplayData

pytestmark = pytest.mark.django_db


@pytest.fixture
def liked(user, other_user):
    tweet = tweets.tweet_create(author=user, text="like me")
    tweets.like_create(user=other_user, tweet_id=tweet.pk)
    return tweet


def test_a_notification_without_its_tweet_attached_is_refused(user, liked):
    notification = selectors.notifications_for(recipient_id=user.pk).get()
    with pytest.raises(MissingDisplayData):
        NotificationSerializer(notification, context={}).data


def test_rendering_attached_notifications_runs_no_query(user, liked, django_assert_num_queries):
    page = selectors.notifications_for_display(selectors.notifications_for(recipient_id=user.pk), viewer=user)
    with django_assert_num_queries(0):
        data = NotificationSerializer(page, many=True, context={"request": ViewerOnly(user)}).data
    assert [item["tweet"]["id"] for item in data] == [liked.pk]
    assert data[0]["tweet"]["liked"] is False and data[0]["type"] == "like"


def test_a_tweet_no_longer_visible_is_null(user, other_user, liked):
    Tweet.objects.filter(pk=liked.pk).update(is_hidden=True)
    # The author still sees their hidden tweet; nobody else would.
    [own] = selectors.notifications_for_display(selectors.notifications_for(recipient_id=user.pk), viewer=user)
    assert own.display_tweet is not None
    [hidden] = selectors.notifications_for_display(
        selectors.notifications_for(recipient_id=user.pk), viewer=AnonymousUser()
    )
    assert hidden.display_tweet is None
    assert NotificationSerializer(hidden, context={}).data["tweet"] is None


def test_the_serializers_module_calls_no_selector():
    import inspect

    from notifications import serializers

    source = inspect.getsource(serializers)
    assert "from .selectors" not in source and "import selectors" not in source
    assert "notifications.selectors import" not in source
