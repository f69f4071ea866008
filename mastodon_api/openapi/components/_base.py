"""The building blocks of the component schemas: primitive types and helpers."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
BOOLEAN: Schema = {"type": "boolean"}
INTEGER: Schema = {"type": "integer"}
ID: Schema = {"type": "string", "pattern": "^[0-9]+$", "description": "An id (a string: compare it, do not compute)."}
DATETIME: Schema = {"type": "string", "format": "date-time", "description": "ISO 8601 in UTC, with milliseconds."}
URL: Schema = {"type": "string", "format": "uri"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    if "$ref" in schema:
        return {"allOf": [schema], "nullable": True}
    return {**schema, "nullable": True}


def array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


def empty_array(description: str) -> Schema:
    return {"type": "array", "maxItems": 0, "items": {}, "description": description}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "object", "properties": {**required, **(optional or {})}, **extra}
    if required:  # an empty "required" is not valid OpenAPI 3.0
        schema["required"] = list(required)
    return schema


NOTIFICATION_TYPES = ["follow", "favourite", "reblog", "mention"]
VISIBILITIES_OUT = ["public", "private"]
