import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.tests.factories import UserFactory
from moderation.roles import MODERATOR_PERMISSIONS, MODERATORS_GROUP, ensure_moderators_group

pytestmark = pytest.mark.django_db


def _perms(group) -> set[tuple[str, str]]:
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def test_migrate_leaves_a_moderators_group_with_exactly_its_permissions():
    group = Group.objects.get(name=MODERATORS_GROUP)
    assert _perms(group) == set(MODERATOR_PERMISSIONS)


def test_the_group_grants_nothing_that_manages_accounts_or_permissions():
    perms = {codename for _, codename in MODERATOR_PERMISSIONS}
    for forbidden in (
        "add_user",
        "delete_user",
        "change_group",
        "add_group",
        "change_permission",
        "change_tweet",
        "add_tweet",
        "delete_report",
        "change_moderationaction",
        "delete_moderationaction",
        "add_moderationaction",
    ):
        assert forbidden not in perms


def test_ensure_is_idempotent_and_removes_extra_permissions():
    group = ensure_moderators_group()
    group.permissions.add(Permission.objects.get(codename="delete_user"))
    again = ensure_moderators_group()
    assert again.pk == group.pk
    assert Group.objects.filter(name=MODERATORS_GROUP).count() == 1
    assert _perms(again) == set(MODERATOR_PERMISSIONS)


def test_create_moderator_makes_staff_in_the_group_and_never_superuser():
    UserFactory(username="Mia")
    call_command("create_moderator", "mia")
    mia = User.objects.get(username="Mia")
    assert mia.is_staff and not mia.is_superuser
    assert mia.groups.filter(name=MODERATORS_GROUP).exists()
    assert mia.has_perm("moderation.suspend_user") and mia.has_perm("tweets.delete_tweet")
    assert not mia.has_perm("accounts.add_user")
    call_command("create_moderator", "mia")  # idempotent
    assert mia.groups.count() == 1


def test_create_moderator_remove():
    UserFactory(username="mia")
    call_command("create_moderator", "mia")
    call_command("create_moderator", "mia", "--remove")
    mia = User.objects.get(username="mia")
    assert not mia.is_staff and not mia.groups.exists()


def test_create_moderator_unknown_or_suspended_user():
    with pytest.raises(CommandError):
        call_command("create_moderator", "ghost")
    UserFactory(username="sam", is_suspended=True)
    with pytest.raises(CommandError):
        call_command("create_moderator", "sam")
    assert not User.objects.get(username="sam").is_staff
