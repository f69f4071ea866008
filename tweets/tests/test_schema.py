import pytest

pytestmark = pytest.mark.django_db

PATHS = [
    "/api/v1/tweets",
    "/api/v1/tweets/{tweet_id}",
    "/api/v1/tweets/{tweet_id}/replies",
    "/api/v1/tweets/{tweet_id}/context",
    "/api/v1/tweets/{tweet_id}/like",
    "/api/v1/tweets/{tweet_id}/retweet",
    "/api/v1/tweets/{tweet_id}/bookmark",
    "/api/v1/tweets/{tweet_id}/liked_by",
    "/api/v1/tweets/{tweet_id}/retweeted_by",
    "/api/v1/timeline/home",
    "/api/v1/bookmarks",
    "/api/v1/search",
    "/api/v1/hashtags/{tag}/tweets",
    "/api/v1/trends",
    "/api/v1/users/{username}/tweets",
    "/api/v1/users/{username}/likes",
    "/api/v1/users/{username}/followers",
    "/api/v1/users/{username}/following",
    "/api/v1/users/{username}/follow",
    "/api/v1/users/{username}/block",
    "/api/v1/users/{username}/mute",
    "/api/v1/users/suggestions",
]


def test_every_endpoint_is_in_the_schema_with_the_tweet_shape(api_client, user, auth_client, post):
    schema = api_client.get("/api/v1/schema/?format=json").json()
    assert set(PATHS) <= set(schema["paths"])
    tweet_schema = schema["components"]["schemas"]["Tweet"]
    body = post(user, "hello")
    assert set(body) == set(tweet_schema["properties"])
    # Viewer fields are absent for anonymous requests, so they are not required.
    assert not {"liked", "retweeted", "bookmarked"} & set(tweet_schema["required"])
    anonymous = api_client.get(f"/api/v1/tweets/{body['id']}").json()
    assert set(tweet_schema["required"]) <= set(anonymous)
