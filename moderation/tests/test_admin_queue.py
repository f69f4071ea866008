"""The admin for the moderation work itself: rooms, the report queue, the moderation log."""

import pytest

from accounts.tests.factories import UserFactory
from moderation.models import ActionType, ModerationAction, Report, ReportStatus
from rooms.models import Room, RoomState
from tweets.models import Tweet

from .admin_helpers import LOG, REPORTS, ROOMS, _action, _confirm, _report
from .factories import make_room, make_tweet

pytestmark = pytest.mark.django_db


# --- rooms ---------------------------------------------------------------------------------------------


def test_rooms_list_live_by_default_and_end_action(mod_client):
    host = UserFactory()
    live = make_room(host, title="live one")
    ended = make_room(host, state=RoomState.ENDED, title="old one")
    listing = mod_client.get(ROOMS)
    assert [r.pk for r in listing.context["cl"].result_list] == [live.pk]
    assert ended.pk in [r.pk for r in mod_client.get(ROOMS, {"state": "all"}).context["cl"].result_list]
    assert _confirm(mod_client, ROOMS, "end_rooms", [live], "hate speech").status_code == 302
    live.refresh_from_db()
    assert live.state == RoomState.ENDED
    assert ModerationAction.objects.get().action == ActionType.END_ROOM


def test_moderator_cannot_edit_rooms(mod_client):
    room = make_room(UserFactory(), title="keep")
    response = mod_client.post(f"{ROOMS}{room.pk}/change/", {"title": "changed"})
    assert response.status_code == 403
    assert Room.objects.get(pk=room.pk).title == "keep"


# --- the report queue --------------------------------------------------------------------------------


def test_queue_shows_open_reports_oldest_first_with_content(mod_client):
    bob = UserFactory(username="bob")
    first = _report(UserFactory(), tweet=make_tweet(bob, "first offending text"))
    second = _report(UserFactory(), user=UserFactory(username="troll", bio="troll bio"))
    resolved = _report(UserFactory(), user=bob)
    Report.objects.filter(pk=resolved.pk).update(status=ReportStatus.RESOLVED, resolved_at="2026-01-01T00:00:00Z")
    response = mod_client.get(REPORTS)
    assert [r.pk for r in response.context["cl"].result_list] == [first.pk, second.pk]
    html = response.content.decode()
    assert "first offending text" in html and "troll bio" in html
    assert 'data-report-action="suspend"' in html and 'data-report-action="dismiss"' in html
    everything = mod_client.get(REPORTS, {"status": "all"})
    assert [r.pk for r in everything.context["cl"].result_list] == [first.pk, second.pk, resolved.pk]


def test_quick_dismiss_from_the_queue(mod_client, moderator):
    report = _report(UserFactory(), user=UserFactory())
    response = mod_client.post(f"{REPORTS}{report.pk}/act/dismiss/", {"quick": "1"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED and report.resolved_by == moderator
    assert report.action_taken == ActionType.DISMISS_REPORT


def test_quick_hide_from_the_queue(mod_client):
    tweet = make_tweet(UserFactory())
    report = _report(UserFactory(), tweet=tweet)
    assert mod_client.post(f"{REPORTS}{report.pk}/act/hide/", {"quick": "1"}).status_code == 302
    tweet.refresh_from_db()
    assert tweet.is_hidden
    entry = ModerationAction.objects.get()
    assert entry.report == report and entry.reason.startswith(f"Report #{report.pk}")


def test_suspend_from_the_queue_needs_confirmation(mod_client):
    bob = UserFactory(username="bob")
    report = _report(UserFactory(), tweet=make_tweet(bob, "spam spam"))
    url = f"{REPORTS}{report.pk}/act/suspend/"
    quick = mod_client.post(url, {"quick": "1"})  # no one-click suspension: the reason is required
    assert quick.status_code == 200
    bob.refresh_from_db()
    assert not bob.is_suspended
    page = mod_client.get(url)
    assert page.status_code == 200 and b"spam spam" in page.content and b'name="reason"' in page.content
    done = mod_client.post(url, {"reason": "spammer"})
    assert done.status_code == 302
    bob.refresh_from_db()
    assert bob.is_suspended
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED and report.action_taken == ActionType.SUSPEND_USER


def test_delete_and_end_room_from_the_queue(mod_client):
    tweet = make_tweet(UserFactory())
    room = make_room(UserFactory())
    on_tweet, on_room = _report(UserFactory(), tweet=tweet), _report(UserFactory(), room=room)
    assert mod_client.post(f"{REPORTS}{on_tweet.pk}/act/delete/", {"reason": "illegal"}).status_code == 302
    assert mod_client.post(f"{REPORTS}{on_room.pk}/act/end_room/", {"reason": "abuse"}).status_code == 302
    assert not Tweet.objects.filter(pk=tweet.pk).exists()
    assert Room.objects.get(pk=room.pk).state == RoomState.ENDED
    assert set(Report.objects.values_list("status", flat=True)) == {ReportStatus.RESOLVED}


def test_queue_action_that_does_not_fit_is_refused(mod_client):
    bob = UserFactory()
    report = _report(UserFactory(), user=bob)
    response = mod_client.post(f"{REPORTS}{report.pk}/act/delete/", {"reason": "x"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN
    assert mod_client.get(f"{REPORTS}{report.pk}/act/bogus/").status_code == 403
    assert mod_client.get(f"{REPORTS}999999/act/dismiss/").status_code == 404


def test_bulk_dismiss(mod_client):
    reports = [_report(UserFactory(), user=UserFactory()) for _ in range(3)]
    assert _action(mod_client, REPORTS, "dismiss_reports", reports[:2]).status_code == 302
    assert [r.status for r in Report.objects.order_by("id")] == ["resolved", "resolved", "open"]


def test_reports_cannot_be_edited_added_or_deleted(mod_client):
    report = _report(UserFactory(), user=UserFactory())
    assert mod_client.get(f"{REPORTS}{report.pk}/change/").status_code == 200
    assert mod_client.post(f"{REPORTS}{report.pk}/change/", {"comment": "x"}).status_code == 403
    assert mod_client.post(f"{REPORTS}{report.pk}/delete/", {"post": "yes"}).status_code == 403
    assert mod_client.get(f"{REPORTS}add/").status_code == 403
    assert Report.objects.get().comment == "please look"


def test_report_page_shows_content_other_reports_and_the_log(mod_client):
    bob = UserFactory(username="bob")
    tweet = make_tweet(bob, "offending words")
    report, other = _report(UserFactory(), tweet=tweet), _report(UserFactory(username="second"), tweet=tweet)
    page = mod_client.get(f"{REPORTS}{report.pk}/change/").content.decode()
    assert "offending words" in page and "@second" in page
    assert f"{REPORTS}{report.pk}/act/hide/" in page
    mod_client.post(f"{REPORTS}{report.pk}/act/hide/", {"reason": "slur in tweet"})
    page = mod_client.get(f"{REPORTS}{report.pk}/change/").content.decode()
    assert "Hide tweet by mod: slur in tweet" in page
    assert "[hidden]" in page
    other.refresh_from_db()
    assert other.status == ReportStatus.RESOLVED  # hiding settles every open report on the tweet


def test_staff_without_queue_permission_cannot_act(admin_client_for):
    staff = admin_client_for(UserFactory(is_staff=True))
    report = _report(UserFactory(), user=UserFactory())
    assert staff.post(f"{REPORTS}{report.pk}/act/dismiss/", {"quick": "1"}).status_code == 403
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


# --- the moderation log --------------------------------------------------------------------------------


def test_log_is_visible_but_cannot_be_changed_or_deleted_by_moderators(mod_client, moderator):
    from moderation.services import user_suspend

    user_suspend(user=UserFactory(username="bob"), moderator=moderator, reason="spam")
    entry = ModerationAction.objects.get()
    listing = mod_client.get(LOG)
    assert listing.status_code == 200 and b"spam" in listing.content
    assert b"delete_selected" not in listing.content
    detail = mod_client.get(f"{LOG}{entry.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert mod_client.post(f"{LOG}{entry.pk}/change/", {"reason": "nothing happened"}).status_code == 403
    assert mod_client.post(f"{LOG}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    _action(mod_client, LOG, "delete_selected", [entry], post="yes")
    assert mod_client.get(f"{LOG}add/").status_code == 403
    entry = ModerationAction.objects.get()
    assert entry.reason == "spam"


def test_even_superusers_cannot_delete_the_log_in_the_admin(admin_client_for, superuser, moderator):
    from moderation.services import user_suspend

    user_suspend(user=UserFactory(), moderator=moderator, reason="spam")
    entry = ModerationAction.objects.get()
    client = admin_client_for(superuser)
    assert client.post(f"{LOG}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ModerationAction.objects.filter(pk=entry.pk).exists()
