"""The admin as moderators use it, through Django's test client, including what they may not do."""

import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.tests.factories import UserFactory
from moderation.models import ActionType, ModerationAction
from moderation.roles import MODERATORS_GROUP
from tweets.models import Tweet, TweetEdit

from .admin_helpers import LOG, REPORTS, ROOMS, TWEETS, USERS, _action, _confirm, _report
from .factories import make_moderator, make_room, make_tweet

pytestmark = pytest.mark.django_db


# --- access ------------------------------------------------------------------------------------------


def test_moderator_sees_exactly_the_moderation_models(mod_client):
    index = mod_client.get("/admin/")
    assert index.status_code == 200
    html = index.content.decode()
    for url in (USERS, TWEETS, ROOMS, REPORTS, LOG):
        assert url in html
    for url in ("/admin/auth/group/", "/admin/social/follow/", "/admin/notifications/notification/"):
        assert url not in html
        assert mod_client.get(url).status_code == 403


def test_non_staff_and_staff_without_the_group_get_nothing(admin_client_for):
    plain = admin_client_for(UserFactory())
    assert plain.get(REPORTS).status_code == 302  # to the admin login
    staff = admin_client_for(UserFactory(is_staff=True))
    for url in (USERS, TWEETS, ROOMS, REPORTS, LOG):
        assert staff.get(url).status_code == 403


@pytest.mark.parametrize("url", [USERS, TWEETS, ROOMS, REPORTS, LOG])
def test_changelists_render_for_moderators(mod_client, url):
    bob = UserFactory(username="bob")
    tweet = make_tweet(bob)
    _report(UserFactory(), tweet=tweet)
    make_room(bob)
    response = mod_client.get(url, {"q": "bob"})
    assert response.status_code == 200


# --- users ---------------------------------------------------------------------------------------------


def test_user_search_and_filters(mod_client):
    UserFactory(username="alice_wonder", email="a@example.com", display_name="Queen of Hearts")
    UserFactory(username="mallory", is_suspended=True)
    for params, expected in [
        ({"q": "wonder"}, "alice_wonder"),
        ({"q": "a@example.com"}, "alice_wonder"),
        ({"q": "hearts"}, "alice_wonder"),
        ({"is_suspended__exact": "1"}, "mallory"),
    ]:
        response = mod_client.get(USERS, params)
        assert response.status_code == 200
        users = [u.username for u in response.context["cl"].result_list]
        assert users == [expected], params
    assert mod_client.get(USERS, {"is_staff__exact": "1", "is_active__exact": "1"}).status_code == 200
    assert mod_client.get(USERS, {"date_joined__gte": "2020-01-01 00:00:00+00:00"}).status_code == 200


def test_suspend_action_asks_for_a_reason_then_suspends(mod_client, moderator):
    bob = UserFactory(username="bob")
    first = _action(mod_client, USERS, "suspend_users", [bob])
    assert first.status_code == 200
    assert b'name="reason"' in first.content and b"bob" in first.content
    bob.refresh_from_db()
    assert not bob.is_suspended  # not before confirming

    no_reason = _confirm(mod_client, USERS, "suspend_users", [bob], reason="")
    assert no_reason.status_code == 200 and b"errorlist" in no_reason.content
    bob.refresh_from_db()
    assert not bob.is_suspended

    done = _confirm(mod_client, USERS, "suspend_users", [bob], reason="harassment, see report")
    assert done.status_code == 302
    bob.refresh_from_db()
    assert bob.is_suspended and bob.suspension_reason == "harassment, see report"
    entry = ModerationAction.objects.get()
    assert (entry.moderator, entry.action, entry.subject_user) == (moderator, ActionType.SUSPEND_USER, bob)


def test_unsuspend_action(mod_client):
    bob = UserFactory(is_suspended=True, suspension_reason="old")
    assert _confirm(mod_client, USERS, "unsuspend_users", [bob], reason="appeal").status_code == 302
    bob.refresh_from_db()
    assert not bob.is_suspended
    assert ModerationAction.objects.get().action == ActionType.UNSUSPEND_USER


def test_suspend_action_refuses_staff_for_moderators(mod_client):
    other = make_moderator()
    response = _confirm(mod_client, USERS, "suspend_users", [other], reason="x")
    assert response.status_code == 302
    other.refresh_from_db()
    assert not other.is_suspended
    assert not ModerationAction.objects.exists()


def _user_form(user, **overrides):
    data = {
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "bio": user.bio,
        "location": user.location,
        "website": user.website,
        "date_joined_0": "2020-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(overrides)
    return data


def test_moderator_cannot_grant_staff_or_superuser_by_posting_the_change_form(mod_client, moderator):
    bob = UserFactory(username="bob")
    group = Group.objects.get(name=MODERATORS_GROUP)
    form = mod_client.get(f"{USERS}{bob.pk}/change/")
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="is_staff"' not in html and 'name="is_superuser"' not in html
    assert 'name="groups"' not in html and 'name="user_permissions"' not in html
    assert "password/" not in html  # no link to the password form, no hash shown

    response = mod_client.post(
        f"{USERS}{bob.pk}/change/",
        _user_form(
            bob,
            display_name="Cleaned",
            is_staff="on",
            is_superuser="on",
            is_active="",
            is_suspended="on",
            groups=[str(group.pk)],
            email="attacker@example.com",
            username="renamed",
            moderation_reason="abusive bio",
        ),
    )
    assert response.status_code == 302, response.content
    bob.refresh_from_db()
    assert not bob.is_staff and not bob.is_superuser and bob.is_active and not bob.is_suspended
    assert not bob.groups.exists()
    assert bob.email == "bob@example.com" and bob.username == "bob"
    entry = ModerationAction.objects.get()
    assert entry.action == ActionType.EDIT_USER and entry.reason == "abusive bio"


def test_moderator_profile_edit_needs_a_reason_and_is_logged(mod_client):
    bob = UserFactory(username="bob", bio="I hate everyone")
    response = mod_client.post(f"{USERS}{bob.pk}/change/", _user_form(bob, bio=""))
    assert response.status_code == 200  # form error: no reason
    bob.refresh_from_db()
    assert bob.bio == "I hate everyone"
    response = mod_client.post(f"{USERS}{bob.pk}/change/", _user_form(bob, bio="", moderation_reason="hate"))
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.bio == ""
    assert ModerationAction.objects.get().details == {"changes": {"bio": ["I hate everyone", ""]}}


def test_moderator_cannot_change_staff_accounts_including_their_own(mod_client, moderator, superuser):
    for target in (moderator, superuser):
        page = mod_client.get(f"{USERS}{target.pk}/change/")
        assert page.status_code == 200  # view only
        assert b'name="_save"' not in page.content
        response = mod_client.post(
            f"{USERS}{target.pk}/change/", _user_form(target, is_superuser="on", bio="pwned", moderation_reason="x")
        )
        assert response.status_code == 403
    moderator.refresh_from_db()
    assert not moderator.is_superuser and moderator.bio == ""
    superuser.refresh_from_db()
    assert superuser.bio == ""


def test_moderator_cannot_set_passwords_add_or_delete_users(mod_client):
    bob = UserFactory()
    assert mod_client.get(f"{USERS}{bob.pk}/password/").status_code == 403
    response = mod_client.post(
        f"{USERS}{bob.pk}/password/", {"password1": "new-pass-12345!", "password2": "new-pass-12345!"}
    )
    assert response.status_code == 403
    bob.refresh_from_db()
    assert bob.check_password("correct-horse-battery-staple")
    assert mod_client.get(f"{USERS}add/").status_code == 403
    assert mod_client.post(f"{USERS}{bob.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=bob.pk).exists()


def test_moderator_cannot_edit_the_moderators_group(mod_client):
    group = Group.objects.get(name=MODERATORS_GROUP)
    count = group.permissions.count()
    response = mod_client.post(f"/admin/auth/group/{group.pk}/change/", {"name": MODERATORS_GROUP, "permissions": []})
    assert response.status_code == 403
    assert group.permissions.count() == count


def test_superuser_can_still_grant_staff(admin_client_for, superuser):
    bob = UserFactory(username="bob")
    client = admin_client_for(superuser)
    form = _user_form(bob, password="x", is_active="on", is_staff="on", last_login_0="", last_login_1="")
    response = client.post(f"{USERS}{bob.pk}/change/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    bob.refresh_from_db()
    assert bob.is_staff
    assert ModerationAction.objects.get().details["changes"]["is_staff"] == ["False", "True"]


def test_user_page_shows_reports_and_history(mod_client, moderator):
    bob = UserFactory(username="bob")
    _report(UserFactory(username="witness"), user=bob)
    from moderation.services import tweet_hide

    tweet_hide(tweet=make_tweet(bob), moderator=moderator, reason="slur")
    page = mod_client.get(f"{USERS}{bob.pk}/change/").content.decode()
    assert "@witness" in page and "Hide tweet" in page and "slur" in page


# --- tweets --------------------------------------------------------------------------------------------


def test_hide_unhide_and_delete_tweets_from_the_admin(mod_client):
    bob = UserFactory()
    tweet = make_tweet(bob, "nasty")
    assert b'name="reason"' in _action(mod_client, TWEETS, "hide_tweets", [tweet]).content
    assert _confirm(mod_client, TWEETS, "hide_tweets", [tweet], "abuse").status_code == 302
    tweet.refresh_from_db()
    assert tweet.is_hidden
    assert _confirm(mod_client, TWEETS, "unhide_tweets", [tweet], "ok after all").status_code == 302
    tweet.refresh_from_db()
    assert not tweet.is_hidden
    assert _confirm(mod_client, TWEETS, "delete_tweets", [tweet], "illegal").status_code == 302
    assert not Tweet.objects.filter(pk=tweet.pk).exists()
    actions = list(ModerationAction.objects.order_by("id").values_list("action", flat=True))
    assert actions == [ActionType.HIDE_TWEET, ActionType.UNHIDE_TWEET, ActionType.DELETE_TWEET]


def test_tweets_cannot_be_edited_or_deleted_outside_the_actions(mod_client):
    tweet = make_tweet(UserFactory(), "original")
    response = mod_client.post(f"{TWEETS}{tweet.pk}/change/", {"text": "changed", "visibility": "public"})
    assert response.status_code == 403
    assert mod_client.post(f"{TWEETS}{tweet.pk}/delete/", {"post": "yes"}).status_code == 403
    response = _action(mod_client, TWEETS, "delete_selected", [tweet], post="yes")
    assert Tweet.objects.get(pk=tweet.pk).text == "original"


def test_tweet_page_shows_thread_edits_and_reports(mod_client):
    bob = UserFactory(username="bob")
    root = make_tweet(bob, "root tweet")
    reply = make_tweet(UserFactory(username="carol"), "a reply", reply_to=root)
    reply2 = make_tweet(bob, "reply to reply", reply_to=reply)
    TweetEdit.objects.create(tweet=root, text="first draft", created_at=root.created_at)
    _report(UserFactory(username="witness"), tweet=root)
    page = mod_client.get(f"{TWEETS}{root.pk}/change/").content.decode()
    assert "first draft" in page  # edit history
    assert f"{TWEETS}{reply.pk}/change/" in page  # replies
    assert "@witness" in page  # reports
    page = mod_client.get(f"{TWEETS}{reply2.pk}/change/").content.decode()
    assert f"{TWEETS}{reply.pk}/change/" in page  # parent
    assert f"{TWEETS}{root.pk}/change/" in page  # thread root
    thread = mod_client.get(TWEETS, {"conversation_id": root.pk})
    assert {t.pk for t in thread.context["cl"].result_list} == {root.pk, reply.pk, reply2.pk}


def test_tweet_filters_and_search(mod_client):
    bob = UserFactory(username="bob")
    reported = make_tweet(bob, "reported one")
    hidden = make_tweet(UserFactory(), "hidden one", is_hidden=True)
    make_tweet(UserFactory(), "plain")
    _report(UserFactory(), tweet=reported)

    def ids(params):
        response = mod_client.get(TWEETS, params)
        assert response.status_code == 200
        return {t.pk for t in response.context["cl"].result_list}

    assert ids({"reports": "open"}) == {reported.pk}
    assert ids({"reports": "any"}) == {reported.pk}
    assert reported.pk not in ids({"reports": "none"})
    assert ids({"is_hidden__exact": "1"}) == {hidden.pk}
    assert ids({"q": "bob"}) == {reported.pk}
    assert ids({"q": "hidden"}) == {hidden.pk}
    assert reported.pk in ids({"created_at__gte": "2000-01-01 00:00:00+00:00"})


def test_hashtags_are_view_only_even_for_a_superuser(admin_client_for):
    from tweets.models import Hashtag

    client = admin_client_for(UserFactory(is_staff=True, is_superuser=True))
    tag = Hashtag.objects.create(name="kept")
    page = f"/admin/tweets/hashtag/{tag.pk}/change/"
    assert client.get(page).status_code == 200  # viewable
    client.post(page, {"name": "renamed"})
    assert client.post(f"/admin/tweets/hashtag/{tag.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/tweets/hashtag/add/").status_code == 403
    assert list(Hashtag.objects.values_list("name", flat=True)) == ["kept"]
