import pytest

from accounts.tests.factories import UserFactory
from moderation.models import Report, ReportStatus
from rooms.models import RoomState
from social.models import Block, Follow

from .factories import make_room, make_tweet

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports"


@pytest.fixture
def reporter(db):
    return UserFactory(username="reporter")


@pytest.fixture
def client(auth_client, reporter):
    return auth_client(reporter)


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


def test_report_a_tweet_creates_an_open_report(client, reporter, bob):
    tweet = make_tweet(bob, "buy cheap pills")
    response = client.post(REPORTS, {"tweet": tweet.pk, "category": "spam", "comment": " obvious spam "}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["target_type"] == "tweet"
    assert body["tweet"] == tweet.pk and body["user"] is None and body["room"] is None
    assert body["category"] == "spam"
    assert body["comment"] == "obvious spam"
    assert body["status"] == "open" and body["resolved_at"] is None
    report = Report.objects.get()
    assert report.reporter == reporter and report.target_tweet == tweet
    assert report.target_snapshot == "@bob: buy cheap pills"


def test_report_a_user_by_username_any_case(client, bob):
    response = client.post(REPORTS, {"user": "BOB", "category": "abuse"}, format="json")
    assert response.status_code == 201
    assert response.json()["user"] == "bob"
    assert Report.objects.get().target_user == bob


def test_report_a_room(client, bob):
    room = make_room(bob)
    response = client.post(REPORTS, {"room": room.pk, "category": "illegal"}, format="json")
    assert response.status_code == 201
    assert response.json()["room"] == room.pk
    assert Report.objects.get().target_room == room


def test_category_defaults_to_other(client, bob):
    response = client.post(REPORTS, {"user": "bob"}, format="json")
    assert response.json()["category"] == "other"


def test_duplicate_open_report_returns_the_existing_one_with_200(client, bob):
    tweet = make_tweet(bob)
    first = client.post(REPORTS, {"tweet": tweet.pk, "category": "spam"}, format="json")
    second = client.post(REPORTS, {"tweet": tweet.pk, "category": "abuse", "comment": "again"}, format="json")
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["category"] == "spam"  # unchanged
    assert Report.objects.count() == 1


def test_a_new_report_is_allowed_once_the_first_is_resolved(client, bob):
    tweet = make_tweet(bob)
    first = client.post(REPORTS, {"tweet": tweet.pk}, format="json").json()
    Report.objects.filter(pk=first["id"]).update(status=ReportStatus.RESOLVED, resolved_at="2026-01-01T00:00:00Z")
    again = client.post(REPORTS, {"tweet": tweet.pk}, format="json")
    assert again.status_code == 201
    assert again.json()["id"] != first["id"]


def test_different_reporters_each_get_their_own_report(auth_client, bob):
    tweet = make_tweet(bob)
    for _ in range(2):
        assert auth_client(UserFactory()).post(REPORTS, {"tweet": tweet.pk}, format="json").status_code == 201
    assert Report.objects.count() == 2


def test_database_refuses_a_second_open_report_on_the_same_target(reporter, bob):
    from django.db import IntegrityError

    Report.objects.create(reporter=reporter, target_type="user", target_object_id=bob.pk, target_user=bob)
    with pytest.raises(IntegrityError):
        Report.objects.create(reporter=reporter, target_type="user", target_object_id=bob.pk, target_user=bob)


def test_database_refuses_a_report_with_two_targets(reporter, bob):
    from django.db import IntegrityError

    tweet = make_tweet(bob)
    with pytest.raises(IntegrityError):
        Report.objects.create(
            reporter=reporter, target_type="tweet", target_object_id=tweet.pk, target_tweet=tweet, target_user=bob
        )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"category": "spam"},
        {"tweet": 1, "user": "bob"},
        {"tweet": 1, "room": 1},
        {"tweet": "abc"},
        {"tweet": 0},
        {"tweet": -5},
        {"tweet": 2**70},
        {"room": 2**63},
        {"user": ""},
        {"user": "x" * 31},
        {"user": "bob", "category": "nonsense"},
        {"user": "bob", "comment": "x" * 1001},
        {"user": None},
    ],
)
def test_invalid_bodies_are_400_with_the_envelope(client, bob, body):
    response = client.post(REPORTS, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"
    assert not Report.objects.exists()


@pytest.mark.parametrize("body", [{"tweet": 999999}, {"user": "nobody_here"}, {"room": 999999}, {"user": "bad name!"}])
def test_unknown_targets_are_404(client, body):
    response = client.post(REPORTS, body, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not Report.objects.exists()


def test_reporting_yourself_is_400(client, reporter):
    response = client.post(REPORTS, {"user": reporter.username}, format="json")
    assert response.status_code == 400
    assert "user" in response.json()["error"]["fields"]


def test_reporting_your_own_tweet_or_room_is_400(client, reporter):
    tweet = make_tweet(reporter)
    room = make_room(reporter)
    assert client.post(REPORTS, {"tweet": tweet.pk}, format="json").status_code == 400
    assert client.post(REPORTS, {"room": room.pk}, format="json").status_code == 400
    assert not Report.objects.exists()


def test_a_followers_only_tweet_you_may_not_see_is_404(client, reporter, bob):
    tweet = make_tweet(bob, visibility="followers")
    assert client.post(REPORTS, {"tweet": tweet.pk}, format="json").status_code == 404
    Follow.objects.create(follower=reporter, followee=bob)
    assert client.post(REPORTS, {"tweet": tweet.pk}, format="json").status_code == 201


def test_a_hidden_tweet_or_a_suspended_users_tweet_is_404(client, bob):
    hidden = make_tweet(bob, is_hidden=True)
    assert client.post(REPORTS, {"tweet": hidden.pk}, format="json").status_code == 404
    carol = UserFactory(is_suspended=True)
    assert client.post(REPORTS, {"tweet": make_tweet(carol).pk}, format="json").status_code == 404
    assert client.post(REPORTS, {"user": carol.username}, format="json").status_code == 404


def test_content_of_a_user_who_blocks_you_is_404(client, reporter, bob):
    tweet = make_tweet(bob)
    Block.objects.create(blocker=bob, blocked=reporter)
    assert client.post(REPORTS, {"tweet": tweet.pk}, format="json").status_code == 404
    assert client.post(REPORTS, {"user": "bob"}, format="json").status_code == 404


def test_reports_need_authentication(api_client, bob):
    response = api_client.post(REPORTS, {"user": "bob"}, format="json")
    assert response.status_code == 401
    assert api_client.get(REPORTS).status_code == 401
    assert not Report.objects.exists()


def test_non_json_body_is_415(client):
    response = client.post(REPORTS, "<x/>", content_type="application/xml")
    assert response.status_code == 415


def test_reports_are_rate_limited_per_user(client, auth_client, settings, bob):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "report": {"rate": "3/1h", "per": "user"}}
    tweets = [make_tweet(bob, f"t{i}") for i in range(4)]
    for tweet in tweets[:3]:
        assert client.post(REPORTS, {"tweet": tweet.pk}, format="json").status_code == 201
    throttled = client.post(REPORTS, {"tweet": tweets[3].pk}, format="json")
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0
    assert Report.objects.count() == 3
    # Another user has their own budget, and reading one's reports is not limited by it.
    assert auth_client(UserFactory()).post(REPORTS, {"tweet": tweets[3].pk}, format="json").status_code == 201
    assert client.get(REPORTS).status_code == 200


def test_list_shows_only_your_own_reports_newest_first(client, auth_client, bob):
    room = make_room(bob)
    tweet = make_tweet(bob)
    client.post(REPORTS, {"tweet": tweet.pk}, format="json")
    client.post(REPORTS, {"user": "bob"}, format="json")
    client.post(REPORTS, {"room": room.pk}, format="json")
    auth_client(UserFactory()).post(REPORTS, {"user": "bob"}, format="json")
    body = client.get(REPORTS).json()
    assert [r["target_type"] for r in body["results"]] == ["room", "user", "tweet"]
    assert body["next"] is None


def test_list_is_paginated_with_a_fixed_number_of_queries(client, reporter, django_assert_max_num_queries):
    for _ in range(25):
        target = UserFactory()
        Report.objects.create(reporter=reporter, target_type="user", target_object_id=target.pk, target_user=target)
    with django_assert_max_num_queries(3):
        page = client.get(REPORTS, {"page_size": 20}).json()
    assert len(page["results"]) == 20 and page["next"]
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 5
    assert not {r["id"] for r in rest["results"]} & {r["id"] for r in page["results"]}


def test_retrieve_own_report_and_404_for_anyone_elses(client, auth_client, bob):
    report = client.post(REPORTS, {"user": "bob"}, format="json").json()
    assert client.get(f"{REPORTS}/{report['id']}").json()["id"] == report["id"]
    assert auth_client(UserFactory()).get(f"{REPORTS}/{report['id']}").status_code == 404
    assert client.get(f"{REPORTS}/99999999").status_code == 404


def test_a_deleted_tweet_keeps_its_id_in_the_report(client, bob):
    tweet = make_tweet(bob)
    report = client.post(REPORTS, {"tweet": tweet.pk}, format="json").json()
    tweet_id = tweet.pk
    tweet.delete()
    again = client.get(f"{REPORTS}/{report['id']}").json()
    assert again["tweet"] == tweet_id
    assert Report.objects.get().target_tweet is None


def test_ended_room_can_still_be_reported(client, bob):
    room = make_room(bob, state=RoomState.ENDED)
    assert client.post(REPORTS, {"room": room.pk}, format="json").status_code == 201


def test_reports_are_in_the_openapi_schema(api_client):
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    import yaml

    doc = yaml.safe_load(schema.content)
    paths = doc["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/reports"])
    assert "get" in paths["/api/v1/reports/{id}"]
    post = paths["/api/v1/reports"]["post"]
    assert {"200", "201"} <= set(post["responses"])
    request_schema = doc["components"]["schemas"]["ReportCreateRequest"]["properties"]
    assert {"tweet", "user", "room", "category", "comment"} <= set(request_schema)
