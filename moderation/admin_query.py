"""The admin's query-string guard: what Django's changelists would hand to the database unchecked.

A changelist turns every unknown query parameter into a queryset lookup (``?status__exact=...``,
``?created_at__year=...``) and catches the errors it sees while building the queryset, but some
values only fail when the query runs: a NUL byte (PostgreSQL refuses it in any text), a year out
of ``datetime``'s range (``ValueError``) or past a C long (``OverflowError``). Those were 500s on
every changelist and on the autocomplete view. ``TwitterAdminSite.admin_view`` asks
``query_problem`` first, for every admin view, ours and third-party apps' alike, and answers 400.

The same holds for the ids a changelist action is posted with (``_selected_action``): Django
filters ``pk__in`` with them unchecked, and ``abc`` or a NUL failed when the action ran its query
(``ValueError: Field 'id' expected a number``). ``selection_problem`` checks them with the primary
key's own ``to_python``.
"""

from __future__ import annotations

from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import QueryDict

from twitterclone.params import parse_bounded_int

# The numeric date transforms and the values a database date can have for each.
DATE_PARTS = {
    "year": (1, 9999),
    "iso_year": (1, 9999),
    "quarter": (1, 4),
    "month": (1, 12),
    "week": (1, 53),
    "day": (1, 31),
    "week_day": (1, 7),
    "iso_week_day": (1, 7),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
}


def query_problem(query: QueryDict) -> str | None:
    """Why ``query`` cannot reach a changelist's queryset, or None when it can."""
    for key, values in query.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return "Query parameters cannot contain NUL characters."
        parts = key.split("__")
        if parts[-1] == "isnull":
            continue
        # ``__in`` values are comma-separated lists (the admin splits them so).
        items = [item for value in values for item in value.split(",")] if parts[-1] == "in" else values
        for part in parts[1:]:
            bounds = DATE_PARTS.get(part)
            if bounds is None:
                continue
            for item in items:
                if parse_bounded_int(item, minimum=bounds[0], maximum=bounds[1]) is None:
                    return f"{key}: a whole number from {bounds[0]} to {bounds[1]}."
    return None


def selection_problem(post: QueryDict, model: type[Model]) -> str | None:
    """Why the objects selected for a changelist action cannot be looked up, or None."""
    pk = model._meta.pk
    for value in post.getlist(helpers.ACTION_CHECKBOX_NAME):
        try:
            if "\x00" in value:
                raise ValidationError("NUL")
            pk.to_python(value)
        except ValidationError:
            return f"Selected objects must be given by their {pk.name}."
    return None
