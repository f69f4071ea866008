"""Reads of the social graph used across apps."""

from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from .models import Block, Follow, Mute


def is_blocked_either_way(*, user_a_id: int, user_b_id: int) -> bool:
    """True when either user blocks the other."""
    return Block.objects.filter(
        Q(blocker_id=user_a_id, blocked_id=user_b_id) | Q(blocker_id=user_b_id, blocked_id=user_a_id)
    ).exists()


def blocks(*, blocker_id: int, blocked_id: int) -> bool:
    return Block.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id).exists()


def mutes(*, muter_id: int, muted_id: int) -> bool:
    return Mute.objects.filter(muter_id=muter_id, muted_id=muted_id).exists()


def follows(*, follower_id: int, followee_id: int) -> bool:
    return Follow.objects.filter(follower_id=follower_id, followee_id=followee_id).exists()


def users_with_viewer_state(queryset: QuerySet, viewer) -> QuerySet:
    """Annotates users with the viewer-relative booleans of the contract's public profile:
    ``following``, ``followed_by``, ``blocking``, ``muting`` (all False for anonymous viewers),
    in the same query as the users themselves."""
    if viewer is None or not viewer.is_authenticated:
        return queryset
    return queryset.annotate(
        viewer_following=Exists(Follow.objects.filter(follower_id=viewer.pk, followee_id=OuterRef("pk"))),
        viewer_followed_by=Exists(Follow.objects.filter(follower_id=OuterRef("pk"), followee_id=viewer.pk)),
        viewer_blocking=Exists(Block.objects.filter(blocker_id=viewer.pk, blocked_id=OuterRef("pk"))),
        viewer_muting=Exists(Mute.objects.filter(muter_id=viewer.pk, muted_id=OuterRef("pk"))),
    )


def followers_of(*, user, viewer) -> QuerySet:
    """Active users who follow ``user``, most recent follow first (paginate on ``-follow_id``),
    with the viewer-relative booleans."""
    from accounts.models import User

    queryset = (
        User.objects.active().filter(following_links__followee_id=user.pk).annotate(follow_id=F("following_links__id"))
    )
    return users_with_viewer_state(queryset, viewer)


def following_of(*, user, viewer) -> QuerySet:
    """Active users whom ``user`` follows, most recent follow first (paginate on
    ``-follow_id``), with the viewer-relative booleans."""
    from accounts.models import User

    queryset = (
        User.objects.active().filter(follower_links__follower_id=user.pk).annotate(follow_id=F("follower_links__id"))
    )
    return users_with_viewer_state(queryset, viewer)


def users_blocked_by(*, user) -> QuerySet:
    """Active users whom ``user`` blocks, each annotated with ``block_id`` (the key to page by,
    most recent block first) and ``user``'s relationship to them."""
    from accounts.models import User

    queryset = (
        User.objects.active().filter(blocked_by_links__blocker_id=user.pk).annotate(block_id=F("blocked_by_links__id"))
    )
    return users_with_viewer_state(queryset, user)


def users_muted_by(*, user) -> QuerySet:
    """Active users whom ``user`` mutes, each annotated with ``mute_id`` (the key to page by,
    most recent mute first) and ``user``'s relationship to them."""
    from accounts.models import User

    queryset = User.objects.active().filter(muted_by_links__muter_id=user.pk).annotate(mute_id=F("muted_by_links__id"))
    return users_with_viewer_state(queryset, user)


def blocked_either_way_ids(*, user_id: int) -> set[int]:
    """Ids of the users ``user_id`` blocks or is blocked by."""
    pairs = Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id)).values_list("blocker_id", "blocked_id")
    return {other for pair in pairs for other in pair if other != user_id}


def suggestions_for(*, viewer, limit: int = 20) -> list:
    """People for ``viewer`` to follow, best first: not the viewer, not already followed, not
    blocked either way, active and not suspended; ranked by how many of the people the viewer
    follows follow them, then by followers_count (then id).

    Fixed number of queries: the two-hop counts are aggregated in the database over the
    follows of the viewer's followees only; popular accounts fill the rest."""
    from accounts.models import User

    followee_ids = set(Follow.objects.filter(follower_id=viewer.pk).values_list("followee_id", flat=True))
    excluded = followee_ids | blocked_either_way_ids(user_id=viewer.pk) | {viewer.pk}
    ranked: list[int] = []
    if followee_ids:
        rows = (
            Follow.objects.filter(follower_id__in=followee_ids, followee__is_active=True, followee__is_suspended=False)
            .exclude(followee_id__in=excluded)
            .values("followee_id", "followee__followers_count")
            .annotate(followed_by_followees=Count("id"))
            .order_by("-followed_by_followees", "-followee__followers_count", "followee_id")[:limit]
        )
        ranked = [row["followee_id"] for row in rows]
    if len(ranked) < limit:
        ranked += list(
            User.objects.active()
            .exclude(pk__in=excluded | set(ranked))
            .order_by("-followers_count", "id")
            .values_list("id", flat=True)[: limit - len(ranked)]
        )
    users = {user.pk: user for user in users_with_viewer_state(User.objects.filter(pk__in=ranked), viewer)}
    return [users[user_id] for user_id in ranked if user_id in users]
