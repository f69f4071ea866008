"""Settings for twitterclone, read from the environment through django-environ.

With no environment at all the project runs on embedded defaults: SQLite, the
in-memory channel layer, an in-process cache, Celery tasks run eagerly and mail
printed to the console. ``DATABASE_URL`` switches to PostgreSQL (psycopg 3) and
``REDIS_URL`` to Redis for the cache, the channel layer and Celery.

The settings live in the modules of this package, read in order (``core``, ``data``, ``auth``,
``api``, ``features``; a later one may use an earlier one's names); their upper-case names are the
settings (``DJANGO_SETTINGS_MODULE=twitterclone.settings``). Reloading this package reads the
environment again (each part is reloaded too).
"""

import importlib
import sys

_PARTS = ("core", "data", "auth", "api", "features")


def _read(part: str):
    name = f"{__name__}.{part}"
    module = sys.modules.get(name)
    return importlib.reload(module) if module is not None else importlib.import_module(name)


for _part in _PARTS:
    _names = vars(_read(_part))
    globals().update({key: value for key, value in _names.items() if key.isupper() and not key.startswith("_")})
