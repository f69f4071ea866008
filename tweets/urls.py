from django.urls import path

from twitterclone import converters  # noqa: F401  (registers <username:...> and <id:...>)

from . import views

USERNAME = "<username:username>"

urlpatterns = [
    path("tweets", views.TweetCreateView.as_view(), name="tweet-create"),
    path("tweets/<id:tweet_id>", views.TweetDetailView.as_view(), name="tweet-detail"),
    path("tweets/<id:tweet_id>/replies", views.TweetRepliesView.as_view(), name="tweet-replies"),
    path("tweets/<id:tweet_id>/context", views.TweetContextView.as_view(), name="tweet-context"),
    path("tweets/<id:tweet_id>/like", views.LikeView.as_view(), name="tweet-like"),
    path("tweets/<id:tweet_id>/retweet", views.RetweetView.as_view(), name="tweet-retweet"),
    path("tweets/<id:tweet_id>/bookmark", views.BookmarkView.as_view(), name="tweet-bookmark"),
    path("tweets/<id:tweet_id>/liked_by", views.LikedByView.as_view(), name="tweet-liked-by"),
    path("tweets/<id:tweet_id>/retweeted_by", views.RetweetedByView.as_view(), name="tweet-retweeted-by"),
    path("timeline/home", views.HomeTimelineView.as_view(), name="timeline-home"),
    path("bookmarks", views.BookmarksView.as_view(), name="bookmarks"),
    path("search", views.SearchView.as_view(), name="search"),
    path("hashtags/<str:tag>/tweets", views.HashtagTweetsView.as_view(), name="hashtag-tweets"),
    path("trends", views.TrendsView.as_view(), name="trends"),
    path(f"users/{USERNAME}/tweets", views.UserTweetsView.as_view(), name="user-tweets"),
    path(f"users/{USERNAME}/likes", views.UserLikesView.as_view(), name="user-likes"),
]
