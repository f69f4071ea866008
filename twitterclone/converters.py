"""Path converters for every route that takes a username or an id.

Registered when this module is first imported (every urls module that uses them imports it), used by
every ``<username:...>`` and ``<id:...>`` route and by the routers' lookups, so a segment that
cannot be a username (a NUL byte, a dot, 31 characters) or an id (a Unicode digit such as
``²``, which ``\\d`` matches, or a number beyond a bigint) never reaches a view: the resolver
answers 404 in the error envelope.
"""

from __future__ import annotations

from django.urls import register_converter

# A PostgreSQL bigint; ids and keyset positions all fit in it.
BIGINT_MAX = 2**63 - 1

USERNAME_REGEX = "[A-Za-z0-9_]{1,30}"
ID_REGEX = "[0-9]{1,19}"
USERNAME_SCHEMA = {"type": "string", "pattern": f"^{USERNAME_REGEX}$"}
# Also declared as the ``id`` converter's schema in SPECTACULAR_SETTINGS["PATH_CONVERTER_OVERRIDES"].
ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": BIGINT_MAX}


class UsernameConverter:
    """1 to 30 ASCII letters, digits and underscores (the rule usernames are registered with)."""

    regex = USERNAME_REGEX

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class IdConverter:
    """A positive id that fits a PostgreSQL bigint, in ASCII digits."""

    regex = ID_REGEX

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= BIGINT_MAX:
            raise ValueError("id out of range")  # the resolver tries the next pattern, then 404
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)


register_converter(UsernameConverter, "username")
register_converter(IdConverter, "id")
