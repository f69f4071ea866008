from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Outbox of pending Celery tasks"
    default_auto_field = "django.db.models.BigAutoField"
