"""Strict JSON types for every request body: the base of every input serializer.

DRF's fields coerce: a ``CharField`` turns ``0`` into ``"0"``, an ``IntegerField`` takes
``"5"`` and ``5.0``, a ``BooleanField`` takes ``"yes"``. The schema promises JSON types
(``text`` is a string, ``reply_to`` an integer), so the server must refuse the others, or a
client's bug (or a fuzzer's probe) is silently stored as something it never sent. Input
serializers derive from ``StrictSerializer`` / ``StrictModelSerializer``: before any field
validation, each value of a JSON body is checked against the JSON type its field declares, and
a mismatch is a 400 naming the field. Form and multipart bodies (``PATCH /users/me`` with an
avatar) and query strings carry only strings and files by nature, so there the fields' own
parsing applies, except that an empty value is not read as "absent".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from rest_framework import serializers
from rest_framework.fields import empty

# The JSON types each field class takes, most specific classes first (subclasses of CharField,
# such as EmailField, URLField and RegexField, take strings like their parent).
_JSON_TYPES: list[tuple[type[serializers.Field], tuple[type, ...], str]] = [
    (serializers.BooleanField, (bool,), "a boolean"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.DecimalField, (int, float, str), "a number"),
    (serializers.FileField, (), "a file (multipart upload)"),
    (serializers.ListField, (list,), "a list"),
    (serializers.MultipleChoiceField, (list,), "a list"),
    (serializers.DictField, (dict,), "an object"),
    (serializers.JSONField, (object,), "JSON"),
    (serializers.ChoiceField, (str,), "a string"),
    (serializers.CharField, (str,), "a string"),
    (serializers.DateTimeField, (str,), "a string (ISO 8601 date and time)"),
    (serializers.DateField, (str,), "a string (ISO 8601 date)"),
    (serializers.BaseSerializer, (dict,), "an object"),
]


def json_type_error(field: serializers.Field, value: Any) -> str | None:
    """Why ``value`` (from a JSON body) is not of ``field``'s JSON type, or None if it is."""
    if value is None:
        return None  # the field's own allow_null decides
    for field_class, types, described in _JSON_TYPES:
        if isinstance(field, field_class):
            if field_class is serializers.ChoiceField:
                # Choices keep their own type (ours are strings, but an integer enum is valid JSON).
                types = tuple({type(choice) for choice in field.choices}) or types
            is_bool = isinstance(value, bool)
            if not isinstance(value, types) or (is_bool and bool not in types and object not in types):
                return f"Must be {described}."
            return None
    return None


def _raw_length_error(field: serializers.Field, value: Any) -> str | None:
    """A string field's maxLength holds for the string as sent: DRF would trim it first, and
    then accept more than the schema's maxLength allows."""
    max_length = getattr(field, "max_length", None)
    if isinstance(field, serializers.CharField) and isinstance(value, str) and max_length and len(value) > max_length:
        return f"Ensure this field has no more than {max_length} characters."
    return None


class StrictTypesMixin:
    """Refuses JSON values whose type is not the field's (see the module docstring)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, QueryDict):
            # DRF reads an empty form or query value of an optional field as "not given"; the
            # schema says the value must be valid when present, so "" is refused where blank is.
            errors = {
                field.field_name: ["This field may not be blank."]
                for field in self._writable_fields  # type: ignore[attr-defined]
                if data.get(field.field_name) == ""
                and not getattr(field, "allow_blank", False)
                and not getattr(field, "allow_null", False)
            }
            if errors:
                raise serializers.ValidationError(errors)
        elif isinstance(data, Mapping):
            errors = {}
            for field in self._writable_fields:  # type: ignore[attr-defined]
                value = data.get(field.field_name, empty)
                if value is empty:
                    continue
                message = json_type_error(field, value) or _raw_length_error(field, value)
                if message:
                    errors[field.field_name] = [message]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]


# The bases of every input serializer. No docstrings here: drf-spectacular would show them as
# the description of every request body that has none of its own.
class StrictSerializer(StrictTypesMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictTypesMixin, serializers.ModelSerializer):
    pass
