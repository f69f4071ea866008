from django.apps import AppConfig


class MastodonApiConfig(AppConfig):
    name = "mastodon_api"
    verbose_name = "Mastodon client API"
    default_auto_field = "django.db.models.BigAutoField"
