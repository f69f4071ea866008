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
"""

from __future__ import annotations

from django.db import connection

try:
    from psycopg.pq import Format
except ImportError:  # no psycopg 3: no PostgreSQL backend here either
    Format = None


def statement_cursor(*, binary: bool = False):
    """A cursor for a constant statement with parameters (``%(name)s`` or ``%s``); with
    ``binary``, rows in PostgreSQL's binary format where it gives the same values (see above)."""
    prepared = getattr(connection, "prepared_cursor", None)
    if prepared is None:
        return connection.cursor()
    cursor = prepared()
    if binary and connection.connection.info.timezone == connection.timezone:
        cursor.cursor.format = Format.BINARY
    return cursor
