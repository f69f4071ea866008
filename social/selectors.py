"""Reads of the social graph used across apps."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

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
