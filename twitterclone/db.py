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
"""

from __future__ import annotations

from django.db import connection


def statement_cursor():
    """A cursor for a constant statement with parameters (``%(name)s`` or ``%s``)."""
    prepared = getattr(connection, "prepared_cursor", None)
    return prepared() if prepared is not None else connection.cursor()
