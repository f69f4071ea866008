import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from notifications.models import Notification
from social import services
from social.models import Block, Follow, Mute

pytestmark = pytest.mark.django_db


def users(path):
    return f"/api/v1/users/{path}"


def counts(user):
    user = User.objects.get(pk=user.pk)
    return user.followers_count, user.following_count


def test_follow_is_idempotent_and_counts_once(user, other_user, auth_client):
    client = auth_client(user)
    for _ in range(2):
        response = client.post(users(f"{other_user.username}/follow"))
        assert response.status_code == 200
        assert response.json()["following"] is True
        assert response.json()["followers_count"] == 1
    assert Follow.objects.count() == 1
    assert counts(user) == (0, 1) and counts(other_user) == (1, 0)
    assert list(Notification.objects.filter(recipient=other_user).values_list("type", "actor_id")) == [
        ("follow", user.pk)
    ]


def test_unfollow_is_idempotent(user, other_user, auth_client):
    client = auth_client(user)
    client.post(users(f"{other_user.username}/follow"))
    for _ in range(2):
        assert client.delete(users(f"{other_user.username}/follow")).status_code == 204
    assert not Follow.objects.exists()
    assert counts(user) == (0, 0) and counts(other_user) == (0, 0)


def test_unfollow_of_never_followed_changes_nothing(user, other_user, auth_client):
    assert auth_client(user).delete(users(f"{other_user.username}/follow")).status_code == 204
    assert counts(other_user) == (0, 0)


@pytest.mark.parametrize("action", ["follow", "block", "mute"])
def test_relation_with_yourself_is_400(user, auth_client, action):
    response = auth_client(user).post(users(f"{user.username}/{action}"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == f"cannot_{action}_self"
    assert counts(user) == (0, 0)


@pytest.mark.parametrize("action", ["follow", "block", "mute"])
def test_relations_need_authentication_and_an_existing_user(user, api_client, auth_client, action):
    assert api_client.post(users(f"{user.username}/{action}")).status_code == 401
    assert auth_client(user).post(users(f"nobody/{action}")).status_code == 404
    assert auth_client(user).delete(users(f"nobody/{action}")).status_code == 404


def test_suspended_user_cannot_be_followed_but_can_be_unfollowed(user, other_user, auth_client):
    services.follow_create(follower=user, followee=other_user)
    User.objects.filter(pk=other_user.pk).update(is_suspended=True)
    client = auth_client(user)
    assert client.post(users(f"{other_user.username}/follow")).status_code == 404
    assert client.delete(users(f"{other_user.username}/follow")).status_code == 204
    assert not Follow.objects.exists()


def test_username_is_case_insensitive(user, other_user, auth_client):
    response = auth_client(user).post(users(f"{other_user.username.upper()}/follow"))
    assert response.status_code == 200


def test_block_removes_follows_both_ways_and_blocks_following(user, other_user, auth_client):
    services.follow_create(follower=user, followee=other_user)
    services.follow_create(follower=other_user, followee=user)
    notified = Notification.objects.filter(type="follow").count()
    response = auth_client(user).post(users(f"{other_user.username}/block"))
    assert response.status_code == 200
    assert response.json()["blocking"] is True
    assert response.json()["following"] is False
    assert not Follow.objects.exists()
    assert counts(user) == (0, 0) and counts(other_user) == (0, 0)
    # Neither can follow the other now.
    for actor, target in ((other_user, user), (user, other_user)):
        response = auth_client(actor).post(users(f"{target.username}/follow"))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "blocked"
    assert not Follow.objects.exists()
    assert Notification.objects.filter(type="follow").count() == notified


def test_block_is_idempotent_and_unblock_does_not_restore_follows(user, other_user, auth_client):
    services.follow_create(follower=user, followee=other_user)
    client = auth_client(user)
    client.post(users(f"{other_user.username}/block"))
    client.post(users(f"{other_user.username}/block"))
    assert Block.objects.count() == 1
    for _ in range(2):
        assert client.delete(users(f"{other_user.username}/block")).status_code == 204
    assert not Block.objects.exists()
    assert not Follow.objects.exists()
    assert client.post(users(f"{other_user.username}/follow")).status_code == 200


def test_blocked_user_sees_404_for_blocker_profile_and_lists(user, other_user, auth_client):
    services.block_create(blocker=user, blocked=other_user)
    client = auth_client(other_user)
    for path in ("", "/tweets", "/followers", "/following", "/likes"):
        assert client.get(users(f"{user.username}{path}")).status_code == 404, path


def test_mute_changes_nothing_but_mute_state(user, other_user, auth_client):
    services.follow_create(follower=user, followee=other_user)
    client = auth_client(user)
    for _ in range(2):
        response = client.post(users(f"{other_user.username}/mute"))
        assert response.status_code == 200
        assert response.json()["muting"] is True
    assert Mute.objects.count() == 1
    assert Follow.objects.count() == 1
    assert client.delete(users(f"{other_user.username}/mute")).status_code == 204
    assert client.delete(users(f"{other_user.username}/mute")).status_code == 204
    assert not Mute.objects.exists()


def test_muted_user_does_not_notify(user, other_user, auth_client):
    services.mute_create(muter=user, muted=other_user)
    auth_client(other_user).post(users(f"{user.username}/follow"))
    assert not Notification.objects.filter(recipient=user).exists()


def test_followers_and_following_lists_page_by_follow_order(user, auth_client):
    followers = [UserFactory() for _ in range(5)]
    for follower in followers:
        services.follow_create(follower=follower, followee=user)
    services.follow_create(follower=user, followee=followers[1])
    services.follow_create(follower=user, followee=followers[0])
    client = auth_client(user)
    first = client.get(users(f"{user.username}/followers?page_size=3")).json()
    second = client.get(first["next"]).json()
    listed = [item["username"] for item in first["results"] + second["results"]]
    assert listed == [follower.username for follower in reversed(followers)]
    assert second["next"] is None
    following = client.get(users(f"{user.username}/following")).json()["results"]
    assert [item["username"] for item in following] == [followers[0].username, followers[1].username]
    assert following[0]["following"] is True and following[0]["followed_by"] is True


def test_lists_leave_out_suspended_users(user, other_user, api_client):
    services.follow_create(follower=other_user, followee=user)
    User.objects.filter(pk=other_user.pk).update(is_suspended=True)
    assert api_client.get(users(f"{user.username}/followers")).json()["results"] == []


def test_suggestions_rank_friends_of_friends_then_popularity(user, auth_client):
    friend_a, friend_b = UserFactory(), UserFactory()
    both, one, popular, blocked, blocker, suspended = (UserFactory() for _ in range(6))
    for friend in (friend_a, friend_b):
        services.follow_create(follower=user, followee=friend)
        services.follow_create(follower=friend, followee=both)
    services.follow_create(follower=friend_a, followee=one)
    for friend in (friend_a, friend_b):
        services.follow_create(follower=friend, followee=blocked)
        services.follow_create(follower=friend, followee=blocker)
        services.follow_create(follower=friend, followee=suspended)
    for _ in range(3):
        services.follow_create(follower=UserFactory(), followee=popular)
    services.block_create(blocker=user, blocked=blocked)
    services.block_create(blocker=blocker, blocked=user)
    User.objects.filter(pk=suspended.pk).update(is_suspended=True)

    response = auth_client(user).get("/api/v1/users/suggestions?limit=4")
    assert response.status_code == 200
    names = [item["username"] for item in response.json()["results"]]
    assert names[:3] == [both.username, one.username, popular.username]
    excluded = {user.username, friend_a.username, friend_b.username, blocked.username, blocker.username}
    assert not excluded & set(names)
    assert suspended.username not in names
    assert len(names) == 4
    assert response.json()["results"][0]["following"] is False


def test_suggestions_need_authentication_and_valid_limit(user, api_client, auth_client):
    assert api_client.get("/api/v1/users/suggestions").status_code == 401
    assert auth_client(user).get("/api/v1/users/suggestions?limit=abc").status_code == 400


def test_suggestions_route_is_not_a_username(user, auth_client):
    # "suggestions" is a reserved username; the path must reach the suggestions view.
    assert "results" in auth_client(user).get("/api/v1/users/suggestions").json()


def test_suggestions_query_count_is_fixed(user, auth_client, django_assert_max_num_queries):
    friends = [UserFactory() for _ in range(4)]
    for friend in friends:
        services.follow_create(follower=user, followee=friend)
        for _ in range(3):
            services.follow_create(follower=friend, followee=UserFactory())
    with django_assert_max_num_queries(9):
        response = auth_client(user).get("/api/v1/users/suggestions?limit=50")
    assert len(response.json()["results"]) >= 12
