from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models import CharField, EmailField
        from django.db.models.functions import Lower

        # Enables `username__lower=` / `email__lower=` lookups that hit the case-insensitive unique indexes.
        CharField.register_lookup(Lower)
        EmailField.register_lookup(Lower)

        from django.db.models.signals import post_delete

        from . import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from .models import User
        from .sessions import user_deleted_forget_version

        post_delete.connect(user_deleted_forget_version, sender=User, dispatch_uid="accounts-forget-token-version")
