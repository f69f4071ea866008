"""The one flow every moderator action shares (``moderation.services._log.moderator_act``)."""

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from moderation.models import ActionType, ModerationAction, Report, ReportStatus, TargetType
from moderation.services._log import Acted, moderator_act
from twitterclone.errors import Forbidden, InvalidInput

from .factories import make_tweet

pytestmark = pytest.mark.django_db


def _acted(user: User, **kwargs) -> Acted:
    return Acted(
        target_type=TargetType.USER,
        target_object_id=user.pk,
        target_repr=f"@{user.username}",
        subject_user_id=user.pk,
        **kwargs,
    )


def _act(moderator, change, **kwargs):
    return moderator_act(
        moderator=moderator,
        permission="moderation.suspend_user",
        action=ActionType.SUSPEND_USER,
        reason=kwargs.pop("reason", "because"),
        change=change,
        **kwargs,
    )


def test_a_refused_moderator_or_a_missing_reason_never_reaches_the_change(moderator):
    calls = []
    plain = UserFactory(is_staff=True)  # staff without the permission
    with pytest.raises(Forbidden):
        _act(plain, calls.append)
    with pytest.raises(InvalidInput):
        _act(moderator, calls.append, reason="   ")

    def refuse():
        raise InvalidInput("no")

    with pytest.raises(InvalidInput):
        _act(moderator, calls.append, guard=refuse)
    assert calls == [] and not ModerationAction.objects.exists()


def test_nothing_to_do_logs_nothing_and_resolves_nothing(moderator):
    bob = UserFactory()
    report = Report.objects.create(
        reporter=UserFactory(), target_type=TargetType.USER, target_object_id=bob.pk, target_user=bob
    )
    assert _act(moderator, lambda reason: None) is False
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN and not ModerationAction.objects.exists()


def test_the_change_gets_the_cleaned_reason_and_the_log_its_details_reports_and_via(moderator):
    bob = UserFactory()
    report = Report.objects.create(
        reporter=UserFactory(), target_type=TargetType.USER, target_object_id=bob.pk, target_user=bob
    )
    seen = []

    def change(reason):
        seen.append(reason)
        return _acted(bob, reports=Report.objects.filter(target_user=bob), details={"own": 1})

    assert _act(moderator, change, reason="  spam  ", report=report, via="api") is True
    assert seen == ["spam"]
    entry = ModerationAction.objects.get()
    assert entry.reason == "spam" and entry.report == report and entry.subject_user == bob
    assert entry.details == {"own": 1, "reports_resolved": 1, "via": "api"}
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED and report.action_taken == ActionType.SUSPEND_USER


def test_a_failing_change_rolls_back_its_writes_and_sends_no_side_effect(moderator, django_capture_on_commit_callbacks):
    """A change that raised after a service scheduled its after-commit effect leaves no trace."""
    from accounts.services import sessions_revoke

    bob = UserFactory()
    version = bob.token_version

    def change(reason):
        sessions_revoke(user=bob)  # bumps the version, pushes session.revoked after commit
        raise RuntimeError("boom")

    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(RuntimeError):
        _act(moderator, change)
    bob.refresh_from_db()
    assert bob.token_version == version and callbacks == [] and not ModerationAction.objects.exists()


def test_a_deleted_tweets_reports_are_resolved_though_their_foreign_key_is_gone(moderator):
    from moderation import services

    author = UserFactory()
    tweet = make_tweet(author)
    report = Report.objects.create(
        reporter=UserFactory(), target_type=TargetType.TWEET, target_object_id=tweet.pk, target_tweet=tweet
    )
    services.tweet_remove(tweet=tweet, moderator=moderator, reason="illegal")
    report.refresh_from_db()
    assert report.target_tweet_id is None and report.status == ReportStatus.RESOLVED
    assert ModerationAction.objects.get().details == {"reports_resolved": 1, "via": "admin"}
