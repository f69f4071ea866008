"""Cursors for the constant SQL statements of the hot pages (the visibility statements, the
viewer's state, the hydration reads).

On PostgreSQL ``statement_cursor()`` binds parameters on the server, so psycopg prepares each
statement on a connection once it has run ``DB_PREPARE_THRESHOLD`` times there, and
PostgreSQL stops parsing and planning it on every request (planning was most of their database
time: about 1.4 ms per home page against 0.4 ms of execution). Each connection belongs to one
thread (Django's connections are per thread; granian and gunicorn run one request at a time per
thread), so a prepared statement is never shared across threads. Behind a pooler in transaction
mode (pgbouncer before 1.21), prepared statements break: set ``DB_PREPARE_THRESHOLD`` to an
empty value there, and these cursors bind on the client like the ORM's. The statements name
their columns, so adding a column never invalidates them; a migration that changes the type of
a column they read makes PostgreSQL refuse the old prepared plan, so restart the servers after
such a migration (deploys do). Elsewhere (SQLite) it is the ordinary cursor.

``statement_cursor(binary=True)`` also asks PostgreSQL for its rows in the binary format: psycopg
then loads integers, booleans and timestamps in C from fixed-width values instead of parsing
their text (Django's text timestamp loader is Python code, once per value). A home page's
statement (21 rows of 25 columns) costs about half the Python time that way. Only when the
connection's time zone is the one Django gives datetimes (UTC, as Django configures it with
``USE_TZ``), so the values are exactly those of the text format; otherwise text.

``Statement`` holds a constant statement written with named parameters (``%(name)s``) in the
form its database executes cheapest: on PostgreSQL with PostgreSQL's own numbered placeholders
(``$1``, ``$2``), converted once per process, for ``statement_cursor(numbered=True)`` (psycopg's
``RawCursor``), so that executing it converts nothing. With named parameters psycopg parses the
statement again on every execution when it is longer than 4 kB, and otherwise still encodes and
hashes it to find its conversion (a home page's statement: 190 us of conversion per page).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import connection

try:
    from psycopg.pq import Format
except ImportError:  # no psycopg 3: no PostgreSQL backend here either
    Format = None


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%|%")


class Statement:
    """A constant statement with named parameters (``%(name)s``; ``%%`` for a literal ``%``),
    for ``statement_cursor(numbered=True)``: ``sql`` is what to execute and ``params(values)``
    the parameters to execute it with, from a mapping of every name the statement uses."""

    __slots__ = ("names", "sql")

    def __init__(self, sql: str) -> None:
        self.names: tuple[str, ...] | None = None
        self.sql = sql
        if getattr(connection, "prepared_cursor", None) is None:
            return  # not our PostgreSQL backend: the ordinary cursor takes the named form
        numbers: dict[str, int] = {}

        def number(match: re.Match) -> str:
            if match.group(0) == "%%":
                return "%"
            if match.group(1) is None:
                raise ValueError(f"only named parameters in a Statement: {sql[match.start() :][:30]!r}")
            return f"${numbers.setdefault(match.group(1), len(numbers) + 1)}"

        self.sql = _PLACEHOLDER.sub(number, sql)
        self.names = tuple(numbers)

    def params(self, values: Mapping[str, Any]) -> tuple | Mapping[str, Any]:
        """The parameters for ``sql``: in the order of their numbers on PostgreSQL, else ``values``."""
        if self.names is None:
            return values
        return tuple(values[name] for name in self.names)


def statement_cursor(*, binary: bool = False, numbered: bool = False):
    """A cursor for a constant statement with parameters (``%(name)s`` or ``%s``); with
    ``binary``, rows in PostgreSQL's binary format where it gives the same values (see above);
    with ``numbered``, for the ``sql`` and ``params`` of a ``Statement`` instead."""
    prepared = getattr(connection, "prepared_cursor", None)
    if prepared is None:
        return connection.cursor()
    cursor = prepared(numbered=numbered)
    if binary and connection.connection.info.timezone == connection.timezone:
        cursor.cursor.format = Format.BINARY
    return cursor
