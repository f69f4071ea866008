"""Crafted query strings on the admin never give a 500: every changelist (ours and the third-party
apps' a superuser sees) and the autocomplete view, with values Django hands to the database
unchecked (NUL bytes, date parts out of range), and the junk it already handled (ordering, page,
search) to keep it so."""

from __future__ import annotations

import pytest
from django.contrib import admin

from accounts.tests.factories import UserFactory

from .admin_helpers import REPORTS, TWEETS, _report
from .factories import make_room, make_tweet

pytestmark = pytest.mark.django_db

REFUSED = [
    {"status__exact": "\x00"},
    {"target_type__exact": "a\x00b"},
    {"q": "bob\x00"},
    {"created_at__year": "-1"},
    {"created_at__year": "0"},
    {"created_at__year": "99999999999999999999999"},
    {"created_at__month": "13"},
    {"created_at__year__gte": "10000"},
    {"created_at__year__in": "2020,-5"},
    {"x\x00": "1"},
]
ANSWERED = [
    {"o": "junk"},
    {"o": "99.-1.x"},
    {"p": "99999999999999999999999"},
    {"p": "-1"},
    {"q": "\u202e\U0001f600"},
    {"created_at__year": "2026"},
    {"created_at__year__isnull": "x"},
    {"id__gte": "99999999999999999999999"},
    {"_to_field": "junk"},
]


@pytest.fixture
def world(db):
    bob = UserFactory(username="bob")
    tweet = make_tweet(bob)
    _report(UserFactory(), tweet=tweet)
    make_room(bob)


def _changelists() -> list[str]:
    return [f"/admin/{model._meta.app_label}/{model._meta.model_name}/" for model in admin.site._registry]


@pytest.mark.parametrize("params", REFUSED)
def test_a_query_no_changelist_can_run_is_a_400_everywhere(admin_client_for, world, params):
    client = admin_client_for(UserFactory(username="root_admin", is_staff=True, is_superuser=True))
    for url in _changelists():
        response = client.get(url, params)
        assert response.status_code == 400, (url, params, response.status_code)
        assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("params", ANSWERED)
def test_other_junk_is_still_answered_without_a_500(admin_client_for, world, params):
    client = admin_client_for(UserFactory(username="root_admin", is_staff=True, is_superuser=True))
    client.raise_request_exception = False
    for url in _changelists():
        assert client.get(url, params).status_code in (200, 302, 400, 403, 404), (url, params)


def test_the_autocomplete_refuses_a_nul_term(mod_client, world):
    params = {"app_label": "tweets", "model_name": "tweet", "field_name": "author", "term": "\x00"}
    assert mod_client.get("/admin/autocomplete/", params).status_code == 400


def test_a_moderator_gets_the_same_400_and_a_plain_query_still_works(mod_client, world):
    assert mod_client.get(REPORTS, {"created_at__year": "-1"}).status_code == 400
    assert mod_client.get(REPORTS, {"created_at__year": "2026", "status__exact": "open"}).status_code == 200
    assert mod_client.get(TWEETS, {"q": "bob"}).status_code == 200


@pytest.mark.parametrize("selected", [["abc"], ["\x00"], ["1", "x"], ["1.5"]])
def test_an_action_on_ids_that_cannot_be_ids_is_a_400_everywhere(admin_client_for, world, selected):
    client = admin_client_for(UserFactory(username="root_admin", is_staff=True, is_superuser=True))
    for model, model_admin in admin.site._registry.items():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for action in ["delete_selected", *(a for a in model_admin.actions or () if isinstance(a, str))]:
            for extra in ({"index": "0"}, {"confirm": "yes", "reason": "because"}):
                response = client.post(url, {"action": action, "_selected_action": selected, **extra})
                assert response.status_code == 400, (url, action, selected, response.status_code)


def test_a_moderator_action_on_real_ids_still_runs(mod_client, world):
    tweet = make_tweet(UserFactory(username="carol"))
    response = mod_client.post(
        TWEETS, {"action": "hide_tweets", "_selected_action": [str(tweet.pk)], "confirm": "yes", "reason": "spam"}
    )
    assert response.status_code == 302
    tweet.refresh_from_db()
    assert tweet.is_hidden
