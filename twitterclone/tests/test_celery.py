def test_periodic_tasks_name_real_tasks():
    """Every beat entry names a task the Celery app knows (a typo would silently never run)."""
    from django.conf import settings

    from twitterclone.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]
