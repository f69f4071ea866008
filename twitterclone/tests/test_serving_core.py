"""Serving-core levers: orjson JSON, no browser middleware on /api/, a health check without SELECT 1."""

import datetime
import decimal
import select
import time
import uuid

import httpx
import pytest
from django.urls import path
from django.utils.translation import gettext_lazy
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.tests.factories import PASSWORD, UserFactory
from twitterclone.jsoncodec import OrjsonRenderer

pytestmark = pytest.mark.django_db


@api_view(["GET", "POST"])
@permission_classes([AllowAny])
def request_state(request):
    django_request = request._request
    return Response(
        {
            "session": hasattr(django_request, "session"),
            "messages": hasattr(django_request, "_messages"),
            "csrf_cookie_read": "CSRF_COOKIE" in django_request.META,
            "user_authenticated": django_request.user.is_authenticated,
        }
    )


from twitterclone.urls import urlpatterns as project_urlpatterns  # noqa: E402

urlpatterns = [path("api/v1/test/request-state", request_state), path("rooms/test-state", request_state)]
urlpatterns += project_urlpatterns


@pytest.fixture
def test_urls(settings):
    settings.ROOT_URLCONF = __name__


# --- orjson -----------------------------------------------------------------------------------


def test_orjson_renders_what_drf_renders():
    data = {
        "text": "héllo \u2028 😀 <script>",
        "when": datetime.datetime(2026, 12, 1, 9, 30, 1, 123456, tzinfo=datetime.UTC),
        "day": datetime.date(2026, 12, 1),
        "amount": decimal.Decimal("1.50"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "lazy": gettext_lazy("Not found."),
        "nested": [{"n": 1, "f": 0.5, "none": None, "yes": True}],
        7: "int key",
    }
    assert OrjsonRenderer().render(data) == JSONRenderer().render(data)


def test_api_pages_render_identically_with_orjson(auth_client, user):
    from tweets.tests.factories import TweetFactory

    for index in range(3):
        TweetFactory(author=user, text=f"tweet {index} ✓")
    response = auth_client(user).get(f"/api/v1/users/{user.username}/tweets")
    assert response.status_code == 200
    assert response.content == JSONRenderer().render(response.json())


def test_a_lone_surrogate_in_json_is_a_400_parse_error(auth_client, user):
    """The standard library accepts "\\ud800" and hands the database a string it cannot store."""
    response = auth_client(user).generic(
        "POST", "/api/v1/tweets", b'{"text": "\\ud800 hi"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize("body", [b"{", b'{"text": NaN}', b"\xff\xfe", b'{"text": "a"} trailing'])
def test_malformed_json_is_a_400_in_the_envelope(auth_client, user, body):
    response = auth_client(user).generic("POST", "/api/v1/tweets", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


# --- No sessions, CSRF or messages on /api/ ------------------------------------------------------


def test_api_requests_skip_sessions_csrf_and_messages(test_urls, client):
    client.cookies["sessionid"] = "whatever"
    client.cookies["csrftoken"] = "x" * 32
    response = client.post("/api/v1/test/request-state")
    assert response.status_code == 200
    assert response.json() == {
        "session": False,
        "messages": False,
        "csrf_cookie_read": False,
        "user_authenticated": False,
    }
    assert not response.cookies


def test_pages_outside_the_api_keep_them(test_urls, client):
    client.cookies["csrftoken"] = "x" * 32
    state = client.get("/rooms/test-state").json()
    assert state["session"] and state["messages"] and state["csrf_cookie_read"]


def test_login_and_register_set_no_cookie(api_client):
    body = {"username": "cookieless", "email": "c@example.com", "password": PASSWORD}
    registered = api_client.post("/api/v1/auth/register", body, format="json")
    assert registered.status_code == 201
    login = api_client.post("/api/v1/auth/login", {"login": "cookieless", "password": PASSWORD}, format="json")
    assert login.status_code == 200
    assert not registered.cookies and not login.cookies
    assert "Cookie" not in login.get("Vary", "")


def test_the_admin_still_has_sessions_csrf_and_messages(client):
    staff = UserFactory(username="adminuser", is_staff=True, is_superuser=True)
    client = client.__class__(enforce_csrf_checks=True)
    page = client.get("/admin/login/")
    assert page.status_code == 200
    token = page.cookies["csrftoken"].value
    credentials = {"username": staff.username, "password": PASSWORD, "next": "/admin/"}
    refused = client.post("/admin/login/", {**credentials, "csrfmiddlewaretoken": "wrong" * 8})
    assert refused.status_code == 403  # CSRF is enforced
    logged_in = client.post("/admin/login/", {**credentials, "csrfmiddlewaretoken": token})
    assert logged_in.status_code == 302
    assert "sessionid" in logged_in.cookies
    assert client.get("/admin/").status_code == 200
    # The admin's session cookie does not authenticate API requests.
    assert client.get("/api/v1/users/me").status_code == 401
    # Messages work: logging out and back in is not needed; the admin's user change page shows one
    # after a save.
    change = client.get(f"/admin/accounts/user/{staff.pk}/change/")
    assert change.status_code == 200


# --- Database health check without SELECT 1 --------------------------------------------------------


def _trace_frontend_queries(connection, action) -> list[str]:
    """The SQL of every Query/Parse message this connection sends during ``action()`` (libpq trace)."""
    import tempfile

    with tempfile.TemporaryFile("w+") as trace:
        connection.connection.pgconn.trace(trace.fileno())
        try:
            action()
        finally:
            connection.connection.pgconn.untrace()
        trace.seek(0)
        lines = trace.read().splitlines()
    return [line for line in lines if "\tF\t" in line and ("\tQuery\t" in line or "\tParse\t" in line)]


def _new_request_then_query(connection, sql: str) -> None:
    connection.close_if_unusable_or_obsolete()  # what Django does when a request starts
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.fetchall()


def _terminate(pids: list[int]) -> None:
    import psycopg
    from django.db import connection

    s = connection.settings_dict
    admin = psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"] or "postgres",
        password=s["PASSWORD"] or None,
        dbname=s["NAME"],
        autocommit=True,
    )
    with admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [pids])
        deadline = time.monotonic() + 10
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids]).fetchone()[0]:
            assert time.monotonic() < deadline
            time.sleep(0.05)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_request_on_a_healthy_connection_sends_no_select_1():
    from django.db import connection

    connection.ensure_connection()
    assert connection.health_check_enabled
    sent = _trace_frontend_queries(connection, lambda: _new_request_then_query(connection, "SELECT 2"))
    assert len(sent) == 1 and "SELECT 2" in sent[0], sent


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_terminated_connection_is_replaced_before_the_next_query():
    from django.db import connection

    connection.ensure_connection()
    old_pid = connection.connection.info.backend_pid
    _terminate([old_pid])
    # The server's goodbye arrives on the idle socket.
    select.select([connection.connection.fileno()], [], [], 5)
    _new_request_then_query(connection, "SELECT 1")
    assert connection.connection.info.backend_pid != old_pid


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_server_answers_right_after_its_connections_are_terminated(tmp_path):
    """pg_terminate_backend on every connection the server holds: the next requests still succeed."""
    from django.db import connection

    from tests.server import database_url_for_tests, run_server

    user = UserFactory(username="survivor")
    env = {
        "DATABASE_URL": database_url_for_tests(),
        "REDIS_URL": "",
        "HTTP_WORKER_THREADS": "2",
        "RATE_LIMITS_ENABLED": "false",
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    mine = connection.connection.info.backend_pid
    with run_server(env, log_path=tmp_path / "server.log") as base, httpx.Client(base_url=base, timeout=15) as http:
        for _ in range(6):
            assert http.get(f"/api/v1/users/{user.username}").status_code == 200
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s", [mine])
            server_pids = [row[0] for row in cursor.fetchall()]
        assert server_pids
        _terminate(server_pids)
        statuses = [http.get(f"/api/v1/users/{user.username}").status_code for _ in range(8)]
    assert statuses == [200] * 8, (tmp_path / "server.log").read_text()[-3000:]
