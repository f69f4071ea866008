"""``manage.py create_moderator <username>``: makes an existing user a moderator."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from moderation.roles import MODERATORS_GROUP, ensure_moderators_group


class Command(BaseCommand):
    help = (
        "Makes an existing user a moderator: sets is_staff (so they can log into the admin) and adds "
        f"them to the '{MODERATORS_GROUP}' group, whose permissions are (re)set from the code. "
        "With --remove, takes both away again. Never grants superuser."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--remove", action="store_true", help="Stop this user being a moderator.")

    def handle(self, *args, username: str, remove: bool = False, **options):
        user = User.objects.by_username(username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        group = ensure_moderators_group()
        if remove:
            user.groups.remove(group)
            if not user.is_superuser and not user.groups.exclude(pk=group.pk).exists():
                User.objects.filter(pk=user.pk).update(is_staff=False)
            self.stdout.write(self.style.SUCCESS(f"{user.username} is no longer a moderator."))
            return
        if user.is_suspended or not user.is_active:
            raise CommandError(f"{user.username} is suspended or deactivated; lift that first.")
        User.objects.filter(pk=user.pk).update(is_staff=True)
        user.groups.add(group)
        self.stdout.write(self.style.SUCCESS(f"{user.username} is now a moderator (staff, in '{group.name}')."))
