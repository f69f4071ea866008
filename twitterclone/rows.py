"""Model instances from the rows of constant SQL statements, without ``Model.__init__``.

``Model.from_db`` runs ``Model.__init__``: a ``pre_init`` and a ``post_init`` signal, and every
value set through its field's descriptor. A home page builds about 36 instances (its tweets,
the tweets they embed, their authors), and that was the largest Python cost of the page after
the database round trips. ``instance_from_row`` builds the same instance (the same ``__dict__``
and ``_state`` as ``from_db`` gives, deferred fields left out) by filling its ``__dict__``
directly, which is what the descriptors end up doing for concrete fields. When a receiver of
``pre_init`` or ``post_init`` exists (an ``ImageField`` with dimension fields connects one), it
falls back to ``from_db`` so that nothing is skipped. A model's ``after_load(instance)``
classmethod, if it has one, runs for both paths (``accounts.models.User`` records its loaded
``is_active`` there). ``twitterclone/tests/test_rows.py`` compares both paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=Model)


def instance_from_row(model: type[M], db: str, attnames: Sequence[str], values: Sequence[Any]) -> M:
    """``model.from_db(db, attnames, values)``, built without ``Model.__init__``. ``attnames``
    are concrete fields' attnames in the model's field order, ``values`` their loaded values."""
    if pre_init.receivers or post_init.receivers:
        return model.from_db(db, attnames, values)
    instance = model.__new__(model)
    state = ModelState()
    state.adding = False
    state.db = db
    fields = instance.__dict__
    fields["_state"] = state
    fields.update(zip(attnames, values, strict=True))
    after_load = _after_load.get(model, _UNKNOWN)
    if after_load is _UNKNOWN:
        # Looked up once per model: a missing attribute raises (and formats) an AttributeError.
        after_load = _after_load[model] = getattr(model, "after_load", None)
    if after_load is not None:
        after_load(instance)
    return instance


_UNKNOWN = object()
_after_load: dict[type, Any] = {}


def filled_directly(model: type[Model]) -> bool:
    """Whether ``instance_from_row`` fills ``model``'s instances directly (no ``pre_init`` or
    ``post_init`` receiver) and the model has no ``after_load``: then a caller building many
    instances in a loop may do what it does inline (``tweets.visibility`` does, for its rows)."""
    if pre_init.receivers or post_init.receivers:
        return False
    after_load = _after_load.get(model, _UNKNOWN)
    if after_load is _UNKNOWN:
        after_load = _after_load[model] = getattr(model, "after_load", None)
    return after_load is None
