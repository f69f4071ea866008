"""The benchmark ceiling: a fixed JSON page of 20 tweets through the same stack (ASGI, middleware,
DRF rendering) without touching the database. Routed only when BENCHMARK_ENDPOINTS is on."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def _fixed_tweet(index: int) -> dict:
    author = {"id": 1000 + index, "username": f"author{index}", "display_name": f"Author {index}", "avatar_url": None}
    return {
        "id": 5_000_000 - index,
        "text": "A fixed tweet used as the benchmark ceiling, about as long as an average tweet is. #bench",
        "visibility": "public",
        "author": author,
        "created_at": "2026-11-25T00:00:00Z",
        "edited_at": None,
        "reply_to": None,
        "quote_of": None,
        "retweet_of": None,
        "like_count": 12,
        "retweet_count": 3,
        "reply_count": 1,
        "quote_count": 0,
        "hashtags": ["bench"],
        "mentions": [],
        "liked": False,
        "retweeted": False,
        "bookmarked": False,
    }


FIXED_PAGE = {"results": [_fixed_tweet(i) for i in range(20)], "next": "http://x/?cursor=abc", "previous": None}


class FixedPageView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        return Response(FIXED_PAGE)
