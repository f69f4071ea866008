"""twitterclone.db.Statement: a constant statement with named parameters, converted once to
PostgreSQL's numbered placeholders and run by a cursor that converts nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from twitterclone.db import Statement, statement_cursor

pytestmark = pytest.mark.django_db

SQL = "SELECT CAST(%(b)s AS TEXT), CAST(%(a)s AS INTEGER), CAST(%(b)s AS TEXT) || '%%'"


def _run(statement: Statement, values: dict) -> tuple:
    with statement_cursor(numbered=True) as cursor:
        cursor.execute(statement.sql, statement.params(values))
        return cursor.fetchone()


@pytest.mark.postgres
def test_named_parameters_become_numbered_in_order_of_first_use():
    statement = Statement(SQL)
    assert statement.sql == "SELECT CAST($1 AS TEXT), CAST($2 AS INTEGER), CAST($1 AS TEXT) || '%'"
    assert statement.params({"a": 7, "b": "x", "unused": 0}) == ("x", 7)
    assert _run(statement, {"a": 7, "b": "x"}) == ("x", 7, "x%")


@pytest.mark.postgres
def test_a_numbered_statement_is_not_converted_by_psycopg(monkeypatch):
    from psycopg import _queries

    def refuse(*args, **kwargs):
        raise AssertionError("converted")

    statement = Statement(SQL)
    monkeypatch.setattr(_queries.PostgresQuery, "convert", refuse)
    assert _run(statement, {"a": 1, "b": "y"}) == ("y", 1, "y%")


@pytest.mark.postgres
def test_numbered_statements_are_logged_with_their_parameters():
    statement = Statement(SQL)
    with CaptureQueriesContext(connection) as queries:
        _run(statement, {"a": 3, "b": "it's"})
    assert queries[0]["sql"] == "SELECT CAST('it''s' AS TEXT), CAST(3 AS INTEGER), CAST('it''s' AS TEXT) || '%'"


@pytest.mark.postgres
def test_only_named_parameters_are_taken():
    with pytest.raises(ValueError, match="only named parameters"):
        Statement("SELECT %s")


def test_elsewhere_the_statement_keeps_its_named_form(settings):
    if settings.IS_POSTGRES:
        pytest.skip("the named form is for the other databases")
    statement = Statement(SQL)
    assert statement.sql == SQL
    values = {"a": 7, "b": "x"}
    assert statement.params(values) is values
    assert _run(statement, values) == ("x", 7, "x%")
