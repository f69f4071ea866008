"""Mastodon's accounts endpoints, over accounts.selectors, social.services/selectors and
tweets.selectors."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import user_get_visible, user_search
from social import services as social
from social.selectors import followers_of, following_of, users_blocked_by, users_muted_by
from tweets.selectors import user_tweets
from twitterclone.errors import InvalidInput, NotFound

from .. import presenters
from ..base import MastodonView
from ..entities import StatusRenderer, relationship
from ..ids import parse_id
from ..pagination import keyset_page, page_bounds, paginated
from ..selectors import account_get_visible, last_status_at_for, relationships_for


class VerifyCredentialsView(MastodonView):
    """GET /api/v1/accounts/verify_credentials: the token's own account, with ``source``."""

    scopes = {"GET": ("read:accounts", "profile")}

    def get(self, request: Request) -> Response:
        user = request.user
        return Response(presenters.credential_account(request, user, last_status_at=last_status_at_for(user=user)))


class AccountView(MastodonView):
    """GET /api/v1/accounts/:id."""

    scopes = {"GET": "read:accounts"}
    anonymous_methods = ("GET",)
    app_token_methods = ("GET",)

    def get(self, request: Request, account_id: str) -> Response:
        user = account_get_visible(account_id=account_id, viewer=request.user)
        return Response(presenters.account(request, user, last_status_at=last_status_at_for(user=user)))


class LookupView(MastodonView):
    """GET /api/v1/accounts/lookup?acct=name (or name@this-host)."""

    scopes = {"GET": "read:accounts"}
    anonymous_methods = ("GET",)
    app_token_methods = ("GET",)

    def get(self, request: Request) -> Response:
        acct = (request.query_params.get("acct") or "").lstrip("@")
        username, _, domain = acct.partition("@")
        if not username or (domain and domain != request.get_host()):
            raise NotFound("Record not found")
        user = user_get_visible(username=username, viewer=request.user)
        return Response(presenters.account(request, user, last_status_at=last_status_at_for(user=user)))


class AccountStatusesView(MastodonView):
    """GET /api/v1/accounts/:id/statuses (exclude_replies, exclude_reblogs; only_media and pinned
    are empty: we have neither)."""

    scopes = {"GET": "read:statuses"}
    anonymous_methods = ("GET",)
    app_token_methods = ("GET",)

    def get(self, request: Request, account_id: str) -> Response:
        user = account_get_visible(account_id=account_id, viewer=request.user)
        bounds = page_bounds(request)
        if _true(request, "only_media") or _true(request, "pinned"):
            return Response([])
        queryset = user_tweets(author=user, viewer=request.user)
        if _true(request, "exclude_replies"):
            queryset = queryset.filter(reply_to__isnull=True)
        if _true(request, "exclude_reblogs"):
            queryset = queryset.filter(retweet_of__isnull=True)
        tweets = keyset_page(queryset, bounds)
        return paginated(request, StatusRenderer(request).many(tweets), [t.pk for t in tweets])


def _true(request: Request, name: str) -> bool:
    return (request.query_params.get(name) or "").lower() in ("1", "true", "yes", "on")


class FollowListView(MastodonView):
    """GET /api/v1/accounts/:id/followers and /following, most recent follow first."""

    scopes = {"GET": "read:accounts"}
    anonymous_methods = ("GET",)
    app_token_methods = ("GET",)
    direction = "followers"

    def get(self, request: Request, account_id: str) -> Response:
        user = account_get_visible(account_id=account_id, viewer=request.user)
        select = followers_of if self.direction == "followers" else following_of
        users = keyset_page(select(user=user, viewer=request.user), page_bounds(request), key="follow_id")
        data = [presenters.account(request, u) for u in users]
        return paginated(request, data, [u.follow_id for u in users])


class RelationshipActionView(MastodonView):
    """POST /api/v1/accounts/:id/{follow,unfollow,block,unblock,mute,unmute}: the Relationship after."""

    scopes = {"POST": "write:follows"}
    action = "follow"
    ACTIONS = {
        "follow": (lambda me, them: social.follow_create(follower=me, followee=them), "write:follows"),
        "unfollow": (lambda me, them: social.follow_delete(follower=me, followee=them), "write:follows"),
        "block": (lambda me, them: social.block_create(blocker=me, blocked=them), "write:blocks"),
        "unblock": (lambda me, them: social.block_delete(blocker=me, blocked=them), "write:blocks"),
        "mute": (lambda me, them: social.mute_create(muter=me, muted=them), "write:mutes"),
        "unmute": (lambda me, them: social.mute_delete(muter=me, muted=them), "write:mutes"),
    }

    def initial(self, request, *args, **kwargs):
        self.scopes = {"POST": (self.ACTIONS[self.action][1], "follow")}
        super().initial(request, *args, **kwargs)

    def post(self, request: Request, account_id: str) -> Response:
        target = account_get_visible(account_id=account_id, viewer=request.user)
        self.ACTIONS[self.action][0](request.user, target)
        (user,) = relationships_for(viewer=request.user, ids=[target.pk])
        return Response(relationship(user, viewer=request.user))


class RelationshipsView(MastodonView):
    """GET /api/v1/accounts/relationships?id[]=1&id[]=2."""

    scopes = {"GET": "read:follows"}

    def get(self, request: Request) -> Response:
        raw = request.query_params.getlist("id[]") or request.query_params.getlist("id")
        ids = [parsed for parsed in map(parse_id, raw[:40]) if parsed is not None]
        users = relationships_for(viewer=request.user, ids=ids)
        return Response([relationship(user, viewer=request.user) for user in users])


class AccountSearchView(MastodonView):
    """GET /api/v1/accounts/search?q=: accounts whose username or display name starts with q
    (``accounts.selectors.user_search``); ``following=true`` keeps those the user follows;
    ``limit`` (default 40, at most 80) and ``offset``."""

    scopes = {"GET": "read:accounts"}
    MAX_OFFSET = 10_000

    def get(self, request: Request) -> Response:
        query = (request.query_params.get("q") or "").strip()
        limit = page_bounds(request, default=40, maximum=80).limit
        raw_offset = request.query_params.get("offset") or "0"
        if not raw_offset.isascii() or not raw_offset.isdigit():
            raise InvalidInput("Validation failed: offset must be a number", fields={"offset": ["not a number"]})
        # Any number of digits (the schema sets no maximum): cut to MAX_OFFSET before int().
        offset = self.MAX_OFFSET if len(raw_offset) > 6 else min(int(raw_offset), self.MAX_OFFSET)
        if not query or "\x00" in query:
            return Response([])
        users = user_search(query=query.split("@")[0], viewer=request.user)
        if _true(request, "following"):
            users = users.filter(viewer_following=True)
        page = list(users.order_by("username")[offset : offset + limit])
        return Response([presenters.account(request, u) for u in page])


class BlocksMutesView(MastodonView):
    """GET /api/v1/blocks and /api/v1/mutes: the accounts the user blocks or mutes, most recent
    first, paged by the block's or mute's id (limit 40 by default, at most 80, as Mastodon)."""

    LISTS = {
        "blocks": (users_blocked_by, "block_id", ("read:blocks", "follow")),
        "mutes": (users_muted_by, "mute_id", ("read:mutes", "follow")),
    }
    kind = "blocks"

    def initial(self, request, *args, **kwargs):
        self.scopes = {"GET": self.LISTS[self.kind][2]}
        super().initial(request, *args, **kwargs)

    def get(self, request: Request) -> Response:
        select, key, _scopes = self.LISTS[self.kind]
        users = keyset_page(select(user=request.user), page_bounds(request, default=40, maximum=80), key=key)
        return paginated(request, [presenters.account(request, u) for u in users], [getattr(u, key) for u in users])
