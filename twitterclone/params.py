"""The one parser for integer query parameters, and its OpenAPI declaration.

``int()`` and ``str.isdigit()`` both accept far more than a client should send: ``int`` takes
``" 5"``, ``"+5"``, ``"1_0"`` and any Unicode decimal digit (``"\u0665"``), ``isdigit`` also takes
``"²"``, which ``int`` then rejects (a 500 where it was trusted). Every view that reads an
integer from the query string declares it once as an ``IntegerParameter`` (name, bounds,
default) and gets both the parsed value and the schema's parameter from that declaration, so
what the schema promises is what the server enforces: ASCII digits only (a leading ``-`` only
where negatives are allowed), at most 19 of them, within the declared bounds, else a 400 in
the error envelope naming the parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rest_framework.request import Request

from .errors import InvalidInput

_UNSIGNED = re.compile(r"[0-9]{1,19}")
_SIGNED = re.compile(r"-?[0-9]{1,19}")


def parse_bounded_int(raw: str, *, minimum: int, maximum: int) -> int | None:
    """``raw`` as an int when it is plain ASCII digits (``-`` first only if ``minimum`` < 0)
    within [minimum, maximum]; None otherwise. Never raises."""
    pattern = _SIGNED if minimum < 0 else _UNSIGNED
    if not isinstance(raw, str) or not pattern.fullmatch(raw):
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None


@dataclass(frozen=True)
class IntegerParameter:
    """An integer query parameter: its bounds and default, parsed and documented from here."""

    name: str
    minimum: int
    maximum: int
    default: int | None = None
    description: str = ""

    @property
    def message(self) -> str:
        return f"A whole number from {self.minimum} to {self.maximum}."

    def parse_value(self, raw: str | None) -> int | None:
        """The value of a raw query-string value (None when absent: the default); InvalidInput
        (400, ``fields: {name: [...]}``) when it is not a whole number in range (empty included)."""
        if raw is None:
            return self.default
        value = parse_bounded_int(raw, minimum=self.minimum, maximum=self.maximum)
        if value is None:
            raise InvalidInput(f"Invalid {self.name}.", fields={self.name: [self.message]})
        return value

    def parse(self, request: Request) -> int | None:
        """The parameter's value in ``request``'s query string (see ``parse_value``)."""
        return self.parse_value(request.query_params.get(self.name))

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}
        if self.default is not None:
            schema["default"] = self.default
        return schema

    def openapi(self):
        """The drf-spectacular parameter for ``extend_schema(parameters=[...])``."""
        from drf_spectacular.utils import OpenApiParameter

        return OpenApiParameter(self.name, self.schema(), OpenApiParameter.QUERY, description=self.description)
