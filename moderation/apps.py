from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_group_after_migrate(sender, using="default", **kwargs) -> None:
    """Keeps the moderators group in step with the code after every migrate (permissions
    are created by post_migrate handlers too, so this runs once they exist)."""
    from django.contrib.auth.models import Permission

    from .roles import MODERATOR_PERMISSIONS, ensure_moderators_group

    wanted = {codename for _, codename in MODERATOR_PERMISSIONS}
    if Permission.objects.using(using).filter(codename__in=wanted).count() < len(wanted):
        return  # a partial migrate (e.g. to an old state): nothing to do yet
    ensure_moderators_group()


class ModerationConfig(AppConfig):
    name = "moderation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Sent by every app after migrate: ours is enough, and the last in INSTALLED_APPS, so the
        # permissions of accounts, tweets and rooms exist by then.
        post_migrate.connect(_ensure_group_after_migrate, sender=self, dispatch_uid="moderation_group")
