import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import User
from accounts.services import tokens_for
from accounts.tests.factories import UserFactory
from moderation import services
from moderation.models import ActionType, AppendOnlyError, ModerationAction, Report, ReportStatus
from moderation.services import ReportAction
from rooms.models import Room, RoomState
from tweets.models import Tweet
from twitterclone.broadcast import user_group_name
from twitterclone.errors import Forbidden, InvalidInput

from .factories import make_moderator, make_room, make_tweet

pytestmark = pytest.mark.django_db


def _report(reporter, **target):
    ((kind, obj),) = target.items()
    return Report.objects.create(
        reporter=reporter, target_type=kind, target_object_id=obj.pk, **{f"target_{kind}": obj}
    )


def test_suspend_sets_fields_revokes_tokens_resolves_reports_and_logs(moderator, django_capture_on_commit_callbacks):
    bob = UserFactory(username="bob")
    tokens_for(bob), tokens_for(bob)
    tweet = make_tweet(bob)
    on_user = _report(UserFactory(), user=bob)
    on_tweet = _report(UserFactory(), tweet=tweet)
    unrelated = _report(UserFactory(), user=UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        assert services.user_suspend(user=bob, moderator=moderator, reason="spam wave") is True
    bob.refresh_from_db()
    assert bob.is_suspended and bob.suspended_at is not None and bob.suspension_reason == "spam wave"
    assert not OutstandingToken.objects.filter(user=bob, blacklistedtoken__isnull=True).exists()
    for report in (on_user, on_tweet):
        report.refresh_from_db()
        assert report.status == ReportStatus.RESOLVED
        assert report.resolved_by == moderator and report.action_taken == ActionType.SUSPEND_USER
    unrelated.refresh_from_db()
    assert unrelated.status == ReportStatus.OPEN
    entry = ModerationAction.objects.get()
    assert (entry.moderator, entry.action, entry.subject_user, entry.reason) == (
        moderator,
        ActionType.SUSPEND_USER,
        bob,
        "spam wave",
    )
    assert entry.details == {"refresh_tokens_revoked": 2, "reports_resolved": 2}
    # Nothing is deleted.
    assert Tweet.objects.filter(pk=tweet.pk).exists()


def test_suspend_sends_session_revoked_to_the_users_group_after_commit(moderator, django_capture_on_commit_callbacks):
    bob = UserFactory()
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group_name(bob.pk), channel)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.user_suspend(user=bob, moderator=moderator, reason="x")
    assert callbacks  # nothing sent before commit
    for callback in callbacks:
        callback()
    assert async_to_sync(layer.receive)(channel) == {"type": "session.revoked"}


def test_suspending_twice_changes_nothing_the_second_time(moderator):
    bob = UserFactory()
    assert services.user_suspend(user=bob, moderator=moderator, reason="first")
    assert services.user_suspend(user=bob, moderator=moderator, reason="second") is False
    bob.refresh_from_db()
    assert bob.suspension_reason == "first"
    assert ModerationAction.objects.count() == 1


def test_unsuspend_restores_the_account_and_logs_what_was_lifted(moderator):
    bob = UserFactory()
    tweet = make_tweet(bob)
    services.user_suspend(user=bob, moderator=moderator, reason="oops")
    assert services.user_unsuspend(user=bob, moderator=moderator, reason="appeal accepted")
    bob.refresh_from_db()
    assert not bob.is_suspended and bob.suspended_at is None and bob.suspension_reason == ""
    assert Tweet.objects.visible_to(None).filter(pk=tweet.pk).exists()
    entry = ModerationAction.objects.filter(action=ActionType.UNSUSPEND_USER).get()
    assert entry.details["suspension_reason"] == "oops"
    assert services.user_unsuspend(user=bob, moderator=moderator, reason="again") is False


def test_a_reason_is_required(moderator):
    with pytest.raises(InvalidInput):
        services.user_suspend(user=UserFactory(), moderator=moderator, reason="   ")
    assert not User.objects.filter(is_suspended=True).exists()


def test_moderators_cannot_suspend_themselves_or_staff(moderator, superuser):
    with pytest.raises(InvalidInput):
        services.user_suspend(user=moderator, moderator=moderator, reason="x")
    other_mod = make_moderator()
    for target in (other_mod, superuser):
        with pytest.raises(Forbidden):
            services.user_suspend(user=target, moderator=moderator, reason="x")
    assert not User.objects.filter(is_suspended=True).exists()
    # A superuser can.
    assert services.user_suspend(user=other_mod, moderator=superuser, reason="rogue moderator")


@pytest.mark.parametrize(
    "call",
    [
        lambda actor, bob, tweet, room: services.user_suspend(user=bob, moderator=actor, reason="x"),
        lambda actor, bob, tweet, room: services.user_unsuspend(user=bob, moderator=actor, reason="x"),
        lambda actor, bob, tweet, room: services.tweet_hide(tweet=tweet, moderator=actor, reason="x"),
        lambda actor, bob, tweet, room: services.tweet_unhide(tweet=tweet, moderator=actor, reason="x"),
        lambda actor, bob, tweet, room: services.tweet_remove(tweet=tweet, moderator=actor, reason="x"),
        lambda actor, bob, tweet, room: services.room_end_by_moderator(room=room, moderator=actor, reason="x"),
    ],
)
@pytest.mark.parametrize("kind", ["plain_user", "staff_without_group"])
def test_actions_need_the_moderator_permissions(call, kind):
    actor = UserFactory(is_staff=kind == "staff_without_group")
    bob = UserFactory()
    tweet = make_tweet(bob)
    room = make_room(bob)
    with pytest.raises(Forbidden):
        call(actor, bob, tweet, room)
    assert not ModerationAction.objects.exists()
    bob.refresh_from_db()
    assert not bob.is_suspended
    assert Tweet.objects.filter(pk=tweet.pk, is_hidden=False).exists()
    assert Room.objects.get(pk=room.pk).state == RoomState.LIVE


def test_hide_and_unhide_are_reversible_and_logged(moderator):
    bob = UserFactory()
    tweet = make_tweet(bob)
    report = _report(UserFactory(), tweet=tweet)
    assert services.tweet_hide(tweet=tweet, moderator=moderator, reason="abusive")
    tweet.refresh_from_db()
    assert tweet.is_hidden and tweet.hidden_at is not None
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED and report.action_taken == ActionType.HIDE_TWEET
    assert services.tweet_hide(tweet=tweet, moderator=moderator, reason="again") is False
    assert services.tweet_unhide(tweet=tweet, moderator=moderator, reason="mistake")
    tweet.refresh_from_db()
    assert not tweet.is_hidden and tweet.hidden_at is None
    assert list(ModerationAction.objects.order_by("id").values_list("action", flat=True)) == [
        ActionType.HIDE_TWEET,
        ActionType.UNHIDE_TWEET,
    ]


def test_delete_goes_through_the_tweets_service_and_the_report_survives(moderator):
    bob = UserFactory()
    tweet = make_tweet(bob, "illegal stuff")
    retweet = Tweet.objects.create(author=UserFactory(), retweet_of=tweet)
    report = _report(UserFactory(), tweet=tweet)
    services.tweet_remove(tweet=tweet, moderator=moderator, reason="illegal")
    assert not Tweet.objects.filter(pk__in=[tweet.pk, retweet.pk]).exists()
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED and report.action_taken == ActionType.DELETE_TWEET
    assert report.target_tweet is None and report.target_object_id == tweet.pk
    entry = ModerationAction.objects.get()
    assert "illegal stuff" in entry.target_repr and entry.subject_user == bob


def test_end_room_goes_through_the_rooms_service(moderator):
    bob = UserFactory()
    room = make_room(bob)
    report = _report(UserFactory(), room=room)
    assert services.room_end_by_moderator(room=room, moderator=moderator, reason="hate speech")
    room.refresh_from_db()
    assert room.state == RoomState.ENDED and room.ended_at is not None
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED
    assert services.room_end_by_moderator(room=room, moderator=moderator, reason="again") is False
    assert ModerationAction.objects.get().action == ActionType.END_ROOM


def test_dismiss_resolves_only_that_report(moderator):
    bob = UserFactory()
    first, second = _report(UserFactory(), user=bob), _report(UserFactory(), user=bob)
    assert services.report_dismiss(report=first, moderator=moderator, reason="not abuse")
    first.refresh_from_db(), second.refresh_from_db()
    assert first.status == ReportStatus.RESOLVED and first.action_taken == ActionType.DISMISS_REPORT
    assert second.status == ReportStatus.OPEN
    assert services.report_dismiss(report=first, moderator=moderator) is False
    bob.refresh_from_db()
    assert not bob.is_suspended


@pytest.mark.parametrize(
    ("kind", "action", "expected"),
    [
        ("tweet", ReportAction.SUSPEND, "suspended"),
        ("tweet", ReportAction.HIDE, "hidden"),
        ("tweet", ReportAction.DELETE, "deleted"),
        ("user", ReportAction.SUSPEND, "suspended"),
        ("room", ReportAction.SUSPEND, "suspended"),
        ("room", ReportAction.END_ROOM, "ended"),
    ],
)
def test_report_act_acts_on_the_target_and_resolves_the_report(moderator, kind, action, expected):
    bob = UserFactory()
    targets = {"tweet": make_tweet(bob), "user": bob, "room": make_room(bob)}
    report = _report(UserFactory(), **{kind: targets[kind]})
    summary = services.report_act(report=report, moderator=moderator, action=action, reason="per policy")
    assert expected in summary
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED and report.resolved_by == moderator
    entry = ModerationAction.objects.get(report=report)
    assert entry.reason == "per policy"
    bob.refresh_from_db()
    if action == ReportAction.SUSPEND:
        assert bob.is_suspended
    elif action == ReportAction.HIDE:
        assert Tweet.objects.get(pk=targets["tweet"].pk).is_hidden
    elif action == ReportAction.DELETE:
        assert not Tweet.objects.filter(pk=targets["tweet"].pk).exists()
    else:
        assert Room.objects.get(pk=targets["room"].pk).state == RoomState.ENDED


def test_report_act_refuses_actions_that_do_not_fit_the_target(moderator):
    bob = UserFactory()
    report = _report(UserFactory(), user=bob)
    for action in (ReportAction.HIDE, ReportAction.DELETE, ReportAction.END_ROOM, "explode"):
        with pytest.raises(InvalidInput):
            services.report_act(report=report, moderator=moderator, action=action, reason="x")
    services.report_dismiss(report=report, moderator=moderator)
    with pytest.raises(InvalidInput):  # resolved: nothing more to do
        services.report_act(report=report, moderator=moderator, action=ReportAction.SUSPEND, reason="x")
    bob.refresh_from_db()
    assert not bob.is_suspended


def test_report_act_on_an_already_suspended_user_still_resolves_the_report(moderator):
    bob = UserFactory()
    report = _report(UserFactory(), user=bob)
    User.objects.filter(pk=bob.pk).update(is_suspended=True)
    summary = services.report_act(report=report, moderator=moderator, action=ReportAction.SUSPEND, reason="x")
    assert "already" in summary
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED


def test_the_log_is_append_only(moderator):
    services.user_suspend(user=UserFactory(), moderator=moderator, reason="x")
    entry = ModerationAction.objects.get()
    entry.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert ModerationAction.objects.get().reason == "x"


def test_the_log_survives_the_moderators_account(moderator):
    services.user_suspend(user=UserFactory(), moderator=moderator, reason="x")
    moderator.delete()
    entry = ModerationAction.objects.get()
    assert entry.moderator is None and entry.moderator_username == "mod"
