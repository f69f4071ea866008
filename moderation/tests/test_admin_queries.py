"""Every changelist costs a fixed number of queries, however many rows it shows, so the admin
stays usable with a million tweets (list_select_related, annotations instead of per-row counts)."""

import itertools

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User
from accounts.services import sessions_revoke, tokens_for
from accounts.tests.factories import UserFactory
from moderation import services
from moderation.models import ModerationAction, Report
from notifications.models import Notification
from rooms.models import Participant, Room
from social.models import Block, Follow, Mute
from tweets.models import Hashtag, Tweet, TweetEdit

from .factories import make_moderator, make_room, make_tweet

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15
_counter = itertools.count()


def _n() -> int:
    return next(_counter)


def build_users(count):
    for _ in range(count):
        user = UserFactory()
        Report.objects.create(reporter=UserFactory(), target_type="user", target_object_id=user.pk, target_user=user)


def build_tweets(count):
    author = UserFactory()
    parent = make_tweet(author, "parent")
    for i in range(count):
        tweet = make_tweet(UserFactory(), f"tweet {i}", reply_to=parent)
        TweetEdit.objects.create(tweet=tweet, text="old", created_at=tweet.created_at)
        Report.objects.create(reporter=author, target_type="tweet", target_object_id=tweet.pk, target_tweet=tweet)


def build_rooms(count):
    for _ in range(count):
        room = make_room(UserFactory())
        Participant.objects.create(room=room, user=UserFactory())


def build_reports(count):
    reporter = UserFactory()
    for i in range(count):
        kind = ("tweet", "user", "room")[i % 3]
        owner = UserFactory()
        target = {"tweet": lambda: make_tweet(owner), "user": lambda: owner, "room": lambda: make_room(owner)}[kind]()
        Report.objects.create(
            reporter=reporter, target_type=kind, target_object_id=target.pk, **{f"target_{kind}": target}
        )


def build_actions(count):
    moderator = User.objects.filter(is_superuser=True).first() or make_moderator()
    for _ in range(count):
        user = UserFactory()
        report = Report.objects.create(
            reporter=UserFactory(), target_type="user", target_object_id=user.pk, target_user=user
        )
        services.report_act(report=report, moderator=moderator, action="suspend", reason="spam")


def build_edges(model, a, b):
    def build(count):
        for _ in range(count):
            model.objects.create(**{a: UserFactory(), b: UserFactory()})

    return build


def build_notifications(count):
    recipient = UserFactory()
    for i in range(count):
        actor = UserFactory()
        Notification.objects.create(
            recipient=recipient, actor=actor, type="like", tweet=make_tweet(recipient), dedup_key=f"k{i}-{_n()}"
        )


def build_hashtags(count):
    for _ in range(count):
        Hashtag.objects.create(name=f"tag{_n()}")


def build_groups(count):
    for _ in range(count):
        Group.objects.create(name=f"group{_n()}")


def build_outstanding(count):
    for _ in range(count):
        user = UserFactory()
        tokens_for(user)
        sessions_revoke(user=user)


CHANGELISTS = [
    (User, build_users, {}),
    (Tweet, build_tweets, {}),
    (Tweet, build_tweets, {"reports": "open", "q": "tweet"}),
    (Room, build_rooms, {}),
    (Report, build_reports, {}),
    (ModerationAction, build_actions, {}),
    (Follow, build_edges(Follow, "follower", "followee"), {}),
    (Block, build_edges(Block, "blocker", "blocked"), {}),
    (Mute, build_edges(Mute, "muter", "muted"), {}),
    (Notification, build_notifications, {}),
    (Hashtag, build_hashtags, {}),
    (Group, build_groups, {}),
    (OutstandingToken, build_outstanding, {}),
    (BlacklistedToken, build_outstanding, {}),
]
MODERATOR_CHANGELISTS = [(m, b, p) for m, b, p in CHANGELISTS if m in (User, Tweet, Room, Report, ModerationAction)]


def _url(model, params):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def _queries_for(client, url):
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(response.context["cl"].result_list)


def _assert_bounded(client, model, build, params):
    url = _url(model, params)
    build(3)
    few, rows_few = _queries_for(client, url)
    build(30)
    many, rows_many = _queries_for(client, url)
    assert rows_many > rows_few >= 3, (rows_few, rows_many)
    assert many == few, f"{model.__name__}: {few} queries with {rows_few} rows, {many} with {rows_many}"
    assert many <= MAX_QUERIES


@pytest.mark.parametrize(("model", "build", "params"), CHANGELISTS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_superuser_changelists_run_a_bounded_number_of_queries(admin_client_for, superuser, model, build, params):
    _assert_bounded(admin_client_for(superuser), model, build, params)


@pytest.mark.parametrize(
    ("model", "build", "params"), MODERATOR_CHANGELISTS, ids=lambda v: getattr(v, "__name__", str(v))
)
def test_moderator_changelists_run_a_bounded_number_of_queries(mod_client, model, build, params):
    _assert_bounded(mod_client, model, build, params)


def test_big_tables_never_count_every_row(admin_client_for, superuser, settings):
    """The paginator counts at most CAP rows: no full COUNT(*) on a million tweets."""
    from moderation.admin_tools import CappedCountPaginator

    build_tweets(5)
    client = admin_client_for(superuser)
    with CaptureQueriesContext(connection) as queries:
        client.get(_url(Tweet, {}))
    counts = [q["sql"] for q in queries if q["sql"].upper().startswith("SELECT COUNT(")]
    assert counts and all(f"LIMIT {CappedCountPaginator.CAP}" in sql for sql in counts), counts
    # The count does not evaluate the per-row report-count annotation.
    assert all("moderation_report" not in sql for sql in counts), counts
