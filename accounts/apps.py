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

        from . import schema  # noqa: F401  (registers the OpenAPI auth extension)
