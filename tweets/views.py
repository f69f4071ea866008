"""Tweet, timeline, search and hashtag endpoints: thin views over services and selectors."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_get_visible, user_search, visible_user_id
from accounts.serializers import PublicProfileSerializer
from twitterclone.converters import ID_SCHEMA
from twitterclone.errors import InvalidInput
from twitterclone.params import IntegerParameter
from twitterclone.schema import NOT_BLANK_PATTERN

from . import feeds, selectors, services
from .pagination import (
    BookmarkPagination,
    HomeTimelinePagination,
    KeysetPagination,
    LikePagination,
    RetweetPagination,
)
from .rendering import render_rows
from .serializers import (
    TrendsSerializer,
    TweetContextSerializer,
    TweetCreateSerializer,
    TweetSerializer,
    TweetUpdateSerializer,
)

NO_CONTENT = OpenApiResponse(description="Done; no body.")
TWEET_ID = OpenApiParameter("tweet_id", ID_SCHEMA, OpenApiParameter.PATH, description="A tweet id.")
TRENDS_LIMIT = IntegerParameter("limit", 1, 50, 10, "How many hashtags (1 to 50, default 10).")


def _validated(serializer_class, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _tweet_response(request: Request, tweet_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    tweet = selectors.tweet_get_visible(tweet_id=tweet_id, viewer=request.user)
    return Response(TweetSerializer(tweet, context={"request": request}).data, status=status_code)


class PaginatedListView(APIView):
    """A GET list: subclasses give ``get_queryset`` and a serializer; pages are cursor-paged."""

    permission_classes = [AllowAny]
    pagination_class = KeysetPagination
    item_serializer = TweetSerializer

    def get_queryset(self):
        raise NotImplementedError

    def prepare_page(self, page: list) -> list:
        """The page, ready for ``item_serializer`` (which runs no query): tweets get their
        display data here."""
        if self.item_serializer is TweetSerializer:
            return selectors.tweets_for_display(page, self.request.user)
        return page

    def get(self, request: Request, **kwargs) -> Response:
        paginator = self.pagination_class()
        page = self.prepare_page(paginator.paginate_queryset(self.get_queryset(), request, view=self))
        data = self.item_serializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class TweetCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=TweetCreateSerializer,
        responses={201: TweetSerializer},
        tags=["tweets"],
        summary="Post a tweet, a reply (reply_to) or a quote (quote_of)",
    )
    def post(self, request: Request) -> Response:
        data = _validated(TweetCreateSerializer, request)
        tweet = services.tweet_create(
            author=request.user,
            text=data["text"],
            reply_to_id=data.get("reply_to"),
            quote_of_id=data.get("quote_of"),
            visibility=data["visibility"],
        )
        return _tweet_response(request, tweet.pk, status_code=status.HTTP_201_CREATED)


class TweetDetailView(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(parameters=[TWEET_ID], responses={200: TweetSerializer}, tags=["tweets"], summary="A tweet")
    def get(self, request: Request, tweet_id: int) -> Response:
        return _tweet_response(request, tweet_id)

    @extend_schema(
        parameters=[TWEET_ID],
        request=TweetUpdateSerializer,
        responses={200: TweetSerializer},
        tags=["tweets"],
        summary="Edit a tweet's text (author only; earlier versions are kept)",
    )
    def patch(self, request: Request, tweet_id: int) -> Response:
        tweet = selectors.tweet_get_visible(tweet_id=tweet_id, viewer=request.user)
        serializer = TweetUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "text" in serializer.validated_data:  # a PATCH without text changes nothing
            services.tweet_edit(tweet=tweet, actor=request.user, text=serializer.validated_data["text"])
        return _tweet_response(request, tweet.pk)

    @extend_schema(
        parameters=[TWEET_ID],
        responses={204: NO_CONTENT},
        tags=["tweets"],
        summary="Delete a tweet (author, or a moderator)",
    )
    def delete(self, request: Request, tweet_id: int) -> Response:
        tweet = selectors.tweet_get_visible(tweet_id=tweet_id, viewer=request.user)
        services.tweet_delete(tweet=tweet, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TweetRepliesView(PaginatedListView):
    @extend_schema(
        parameters=[TWEET_ID], responses={200: TweetSerializer(many=True)}, tags=["tweets"], summary="Replies"
    )
    def get(self, request: Request, tweet_id: int) -> Response:
        return super().get(request, tweet_id=tweet_id)

    def get_queryset(self):
        tweet = selectors.tweet_get_visible(tweet_id=self.kwargs["tweet_id"], viewer=self.request.user)
        return selectors.tweet_replies(tweet=tweet, viewer=self.request.user)


class TweetContextView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[TWEET_ID],
        responses={200: TweetContextSerializer},
        tags=["tweets"],
        summary="The thread: ancestors from the root down, and descendants in order",
    )
    def get(self, request: Request, tweet_id: int) -> Response:
        tweet = selectors.tweet_get_visible(tweet_id=tweet_id, viewer=request.user)
        context = selectors.tweet_context(tweet=tweet, viewer=request.user)
        return Response(TweetContextSerializer(context, context={"request": request}).data)


def _action_schema(noun: str, *, undo: bool = False):
    summary = f"Undo the {noun} (idempotent)" if undo else f"{noun.capitalize()} a tweet (idempotent)"
    return extend_schema(
        parameters=[TWEET_ID],
        request=None,
        responses={200: TweetSerializer},
        tags=["tweets"],
        summary=summary,
        description="Answers the tweet (a retweet's original) with its new counts and viewer state.",
    )


class LikeView(APIView):
    @_action_schema("like")
    def post(self, request: Request, tweet_id: int) -> Response:
        return _tweet_response(request, services.like_create(user=request.user, tweet_id=tweet_id))

    @_action_schema("like", undo=True)
    def delete(self, request: Request, tweet_id: int) -> Response:
        return _tweet_response(request, services.like_delete(user=request.user, tweet_id=tweet_id))


class RetweetView(APIView):
    @_action_schema("retweet")
    def post(self, request: Request, tweet_id: int) -> Response:
        return _tweet_response(request, services.retweet_create(user=request.user, tweet_id=tweet_id))

    @_action_schema("retweet", undo=True)
    def delete(self, request: Request, tweet_id: int) -> Response:
        return _tweet_response(request, services.retweet_delete(user=request.user, tweet_id=tweet_id))


class BookmarkView(APIView):
    @_action_schema("bookmark")
    def post(self, request: Request, tweet_id: int) -> Response:
        return _tweet_response(request, services.bookmark_create(user=request.user, tweet_id=tweet_id))

    @_action_schema("bookmark", undo=True)
    def delete(self, request: Request, tweet_id: int) -> Response:
        return _tweet_response(request, services.bookmark_delete(user=request.user, tweet_id=tweet_id))


class LikedByView(PaginatedListView):
    pagination_class = LikePagination
    item_serializer = PublicProfileSerializer

    @extend_schema(
        parameters=[TWEET_ID],
        responses={200: PublicProfileSerializer(many=True)},
        tags=["tweets"],
        summary="Users who liked a tweet, most recent first",
    )
    def get(self, request: Request, tweet_id: int) -> Response:
        return super().get(request, tweet_id=tweet_id)

    def get_queryset(self):
        tweet = selectors.tweet_get_visible(tweet_id=self.kwargs["tweet_id"], viewer=self.request.user)
        return selectors.tweet_liked_by(tweet=tweet, viewer=self.request.user)


class RetweetedByView(PaginatedListView):
    pagination_class = RetweetPagination
    item_serializer = PublicProfileSerializer

    @extend_schema(
        parameters=[TWEET_ID],
        responses={200: PublicProfileSerializer(many=True)},
        tags=["tweets"],
        summary="Users who retweeted a tweet, most recent first",
    )
    def get(self, request: Request, tweet_id: int) -> Response:
        return super().get(request, tweet_id=tweet_id)

    def get_queryset(self):
        tweet = selectors.tweet_get_visible(tweet_id=self.kwargs["tweet_id"], viewer=self.request.user)
        return selectors.tweet_retweeted_by(tweet=tweet, viewer=self.request.user)


class HomeTimelineView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: TweetSerializer(many=True)},
        tags=["timelines"],
        summary="Home timeline: your tweets and the tweets and retweets of those you follow",
        description="Newest first, cursor-paginated; muted users and blocked users are left out. "
        "The `X-Timeline-Source` header says where the page's ids came from (`redis`, `postgres`).",
    )
    def get(self, request: Request) -> Response:
        paginator = HomeTimelinePagination()
        size, before, after = paginator.bounds(request)
        page = feeds.home_page(viewer=request.user, size=size, before=before, after=after)
        display = selectors.rows_for_display(page.rows, embedded=page.embedded, usernames=page.usernames)
        paginator.set_links(older_than=page.older_than, newer_than=page.newer_than)
        # TweetSerializer's dicts, built from the statement's rows (tweets.rendering).
        response = paginator.get_paginated_response(render_rows(display, request))
        response["X-Timeline-Source"] = page.source
        return response

    # drf-spectacular reads the paginated shape from here.
    pagination_class = HomeTimelinePagination


class UserTweetsView(PaginatedListView):
    @extend_schema(
        responses={200: TweetSerializer(many=True)},
        tags=["timelines"],
        summary="A user's tweets, replies and retweets, newest first",
    )
    def get(self, request: Request, username: str) -> Response:
        # The page is one constant statement (selectors.user_tweets_page), not a queryset.
        author_id = visible_user_id(username=username, viewer=request.user)
        paginator = self.pagination_class()
        page = paginator.paginate_keyset(
            lambda **bounds: selectors.user_tweets_page(author_id=author_id, viewer=request.user, **bounds), request
        )
        data = TweetSerializer(self.prepare_page(page), many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class UserLikesView(PaginatedListView):
    pagination_class = LikePagination

    @extend_schema(
        responses={200: TweetSerializer(many=True)},
        tags=["timelines"],
        summary="Tweets a user liked, most recently liked first",
    )
    def get(self, request: Request, username: str) -> Response:
        return super().get(request, username=username)

    def get_queryset(self):
        user = user_get_visible(username=self.kwargs["username"], viewer=self.request.user)
        return selectors.user_liked_tweets(user=user, viewer=self.request.user)


class BookmarksView(PaginatedListView):
    permission_classes = [IsAuthenticated]
    pagination_class = BookmarkPagination

    @extend_schema(
        responses={200: TweetSerializer(many=True)},
        tags=["timelines"],
        summary="Your bookmarks, most recently bookmarked first",
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def get_queryset(self):
        return selectors.bookmarked_tweets(user=self.request.user)


class HashtagTweetsView(PaginatedListView):
    @extend_schema(
        parameters=[OpenApiParameter("tag", str, OpenApiParameter.PATH, description="Without '#', any case.")],
        responses={200: TweetSerializer(many=True)},
        tags=["timelines"],
        summary="Tweets with a hashtag, newest first",
    )
    def get(self, request: Request, tag: str) -> Response:
        return super().get(request, tag=tag)

    def get_queryset(self):
        return selectors.hashtag_tweets(tag=self.kwargs["tag"], viewer=self.request.user)


SEARCH_RESULTS = PolymorphicProxySerializer(
    component_name="SearchResult",
    serializers=[TweetSerializer, PublicProfileSerializer],
    resource_type_field_name=None,
    many=True,
)


class SearchView(PaginatedListView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NOT_BLANK_PATTERN},
                required=True,
                description="Words (tweets) or a name prefix (users).",
            ),
            OpenApiParameter("type", str, enum=["tweets", "users"], description="What to search; default tweets."),
        ],
        responses={200: SEARCH_RESULTS},
        tags=["timelines"],
        summary="Search tweets by words, or users by username or display-name prefix",
        description="`type=tweets`: tweets (not retweets) containing every word, newest first "
        "(PostgreSQL full-text search). `type=users`: public profiles.",
    )
    def get(self, request: Request) -> Response:
        query = request.query_params.get("q", "").strip()
        search_type = request.query_params.get("type", "tweets")
        if search_type not in ("tweets", "users"):
            raise InvalidInput("Unknown search type.", fields={"type": ["Use tweets or users."]})
        if not query or len(query) > 200:
            raise InvalidInput("Give a search query.", fields={"q": ["Give 1 to 200 characters."]})
        if "\x00" in query:
            raise InvalidInput("Give a search query.", fields={"q": ["Null characters are not allowed."]})
        self.search_type, self.query = search_type, query
        if search_type == "users":
            self.item_serializer = PublicProfileSerializer
        return super().get(request)

    def get_queryset(self):
        if self.search_type == "users":
            return user_search(query=self.query, viewer=self.request.user)
        return selectors.tweet_search(query=self.query, viewer=self.request.user)


class TrendsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[TRENDS_LIMIT.openapi()],
        responses={200: TrendsSerializer},
        tags=["timelines"],
        summary="Top hashtags of the last 24 hours, with the number of tweets using each",
    )
    def get(self, request: Request) -> Response:
        data = {"hours": 24, "trends": selectors.trends(hours=24, limit=TRENDS_LIMIT.parse(request))}
        return Response(TrendsSerializer(data).data)
