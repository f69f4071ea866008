from django.apps import AppConfig


class TweetsConfig(AppConfig):
    name = "tweets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the tasks with Celery in every process (web servers too): tweets.feeds
        # queues them by name, without importing tweets.tasks (which imports tweets.feeds).
        from . import tasks  # noqa: F401
