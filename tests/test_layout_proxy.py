"""What nginx itself answers in the production layout (deploy/nginx.conf), through the real proxy:
its own errors in the API's JSON error envelope (never an HTML page), and uploaded files served
with their image type, never as a page of this origin."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import transaction
from PIL import Image

from deploy.layout import ROOT, nginx_binary, process_env, run_layout
from tests.server import register
from tests.test_layout import auth, layout_env

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def proxy(django_db_setup, django_db_blocker):
    try:
        nginx_binary()
    except FileNotFoundError:
        pytest.skip("nginx is not installed: scripts/install_nginx.sh (.ci/run runs it)")
    media = Path(tempfile.mkdtemp(prefix="twitterclone-media-"))
    media.chmod(0o755)  # nginx's workers (www-data, when started as root) read it
    static = Path(tempfile.mkdtemp(prefix="twitterclone-static-"))
    env = layout_env() | {"MEDIA_ROOT": str(media), "STATIC_ROOT": str(static)}
    # As ./serve.sh and the Dockerfile do before the servers start.
    collect = [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
    subprocess.run(collect, cwd=ROOT, env=process_env(env), check=True, timeout=120)
    try:
        with django_db_blocker.unblock(), run_layout(env, http_processes=1, ws_processes=1) as running:
            yield running
    finally:
        shutil.rmtree(media, ignore_errors=True)
        shutil.rmtree(static, ignore_errors=True)


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert response.json()["error"]["code"] == code, response.text
    # nginx's own error pages (deploy/nginx.conf) and the application's errors alike.
    assert response.headers["x-content-type-options"] == "nosniff", response.headers


def test_malformed_or_oversized_requests_get_the_json_envelope(proxy):
    with httpx.Client(base_url=proxy.base_url, timeout=30) as client:
        huge_header = client.get("/api/v1/users/nobody", headers={"X-Filler": "a" * 20_000})
        assert_error(huge_header, 400, "invalid")
        long_line = client.get("/api/v1/users/nobody?q=" + "a" * 20_000)
        assert_error(long_line, 414, "uri_too_long")
        too_big = client.post(
            "/api/v1/tweets", content=b"x" * (4 * 1024 * 1024), headers={"Content-Type": "application/json"}
        )
        assert_error(too_big, 413, "payload_too_large")
        # Just over the application's limit: nginx refuses it (never granian, which closed the
        # connection unread: a 502 and the server out of rotation), and the upstream stays up.
        limit = settings.MAX_REQUEST_BODY_BYTES
        for _ in range(3):
            over_ours = client.post(
                "/api/v1/tweets", content=b"x" * (limit + 1), headers={"Content-Type": "application/json"}
            )
            assert_error(over_ours, 413, "payload_too_large")
            assert client.get("/healthz").status_code == 200
        # Exactly the limit passes nginx and reaches the application (which reads it: not JSON).
        at_limit = client.post("/api/v1/tweets", content=b"x" * limit, headers={"Content-Type": "application/json"})
        assert at_limit.status_code in (400, 401), at_limit.text
        assert at_limit.json()["error"]["code"] != "payload_too_large", at_limit.text
        assert_error(client.get("/media/avatars/none.png"), 404, "not_found")
        assert_error(client.get("/_nginx_error/502"), 404, "not_found")  # the error pages are internal


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_a_client_that_never_finishes_its_headers_is_dropped_within_seconds(proxy):
    """Slowloris: a connection that trickles its headers is closed after client_header_timeout."""
    host, port = proxy.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(b"GET /api/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        started = time.monotonic()
        connection.settimeout(25)
        answer = connection.recv(4096)  # nginx closes (b"") or answers 408; either ends it
        waited = time.monotonic() - started
    assert waited < 20, (waited, answer)


def test_an_uploaded_avatar_is_served_as_its_image_type_and_never_as_a_page(proxy):
    user = register(proxy.base_url, "prx_avatar")
    with httpx.Client(base_url=proxy.base_url, timeout=30, headers=auth(user)) as client:
        updated = client.patch("/api/v1/users/me", files={"avatar": ("me.png", png_bytes(), "image/png")})
        assert updated.status_code == 200, updated.text
        url = client.get("/api/v1/users/me").json()["avatar_url"]
        assert url and "/media/" in url, url
        served = client.get(url)
    assert served.status_code == 200, served.text
    assert served.content == png_bytes()
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]


def test_the_admin_and_its_static_files_are_served_in_production(proxy):
    """DEBUG off: the admin's page links its collected, hashed static files, which whitenoise
    serves through nginx with a far-future cache lifetime."""
    with httpx.Client(base_url=proxy.base_url, timeout=30) as client:
        page = client.get("/admin/login/")
        assert page.status_code == 200, page.text[:500]
        stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page.text)
        assert stylesheet, page.text[:2000]
        served = client.get(stylesheet.group(1))
        docs = client.get("/api/v1/docs/")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/css")
    assert "immutable" in served.headers["cache-control"]
    assert docs.status_code == 200, docs.text[:500]


def test_daphne_logs_the_address_nginx_saw_not_a_forwarded_one(proxy):
    """daphne's own reading of X-Forwarded-For takes the leftmost entry, which the client writes;
    behind nginx it reads X-Real-IP, which nginx sets."""
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=transport, base_url=proxy.base_url, timeout=30) as client:
        response = client.get("/api/v1/streaming/health", headers={"X-Forwarded-For": "203.0.113.66"})
    assert response.status_code < 500, response.text
    ws_log = (proxy.workdir / f"{proxy.ws[0].name}.log").read_text()
    lines = [line for line in ws_log.splitlines() if "/api/v1/streaming/health" in line]
    assert lines, ws_log[-2000:]
    assert "127.0.0.2" in lines[-1], lines[-1]
    assert "203.0.113.66" not in ws_log


def test_sigterm_lets_the_http_server_finish_the_request_in_flight(proxy):
    """What docker stop (SIGTERM to the master, the container's first process) does: the request
    in flight is answered, not cut. It is held in flight by a lock on the user's row. Stops the
    layout's one HTTP server: the next test relies on it."""
    from accounts.models import User

    user = register(proxy.base_url, "prx_drain")
    outcome: dict[str, object] = {}

    def rename() -> None:
        try:
            response = httpx.patch(
                f"{proxy.base_url}/api/v1/users/me", json={"display_name": "drained"}, headers=auth(user), timeout=60
            )
            outcome["status"] = response.status_code
        except httpx.HTTPError as exc:
            outcome["error"] = repr(exc)

    server = proxy.http[0].popen
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user["user"]["id"])
        thread = threading.Thread(target=rename)
        thread.start()
        time.sleep(1.5)  # the PATCH is now waiting on the row lock inside the server
        assert not outcome, outcome
        os.kill(server.pid, signal.SIGTERM)
        time.sleep(1.0)
    thread.join(60)
    assert outcome == {"status": 200}, outcome
    assert User.objects.get(pk=user["user"]["id"]).display_name == "drained"
    server.wait(30)  # and then it stops


def test_with_the_http_server_down_the_proxy_answers_502_in_the_json_envelope(proxy):
    """Last in this module: it kills the layout's one HTTP server (if it still runs)."""
    proxy.http[0].kill(signal.SIGKILL)
    proxy.http[0].popen.wait(10)
    time.sleep(0.5)
    down = httpx.get(f"{proxy.base_url}/api/v1/users/nobody", timeout=30)
    assert_error(down, 502, "upstream_unavailable")
    assert down.headers["retry-after"] == "5"


def test_nginx_workers_can_hold_their_worker_connections_on_a_stock_host(tmp_path):
    """Started under a soft limit of 1024 descriptors (a stock host's, and systemd's), the workers
    still get more than two per connection nginx accepts (client and upstream)."""
    import resource
    import subprocess

    from deploy.layout import free_port, render_nginx_conf

    conf_text = render_nginx_conf(
        listen_port=free_port(), http_ports=[free_port()], ws_ports=[free_port()], workdir=tmp_path, media_root=tmp_path
    )
    connections = int(re.search(r"worker_connections (\d+);", conf_text).group(1))
    wanted = int(re.search(r"worker_rlimit_nofile (\d+);", conf_text).group(1))
    if os.geteuid() != 0 and resource.getrlimit(resource.RLIMIT_NOFILE)[1] < wanted:
        pytest.skip("this machine's hard limit is below worker_rlimit_nofile, and nginx is not root")
    conf = tmp_path / "nginx.conf"
    conf.write_text(conf_text)

    def stock_limit() -> None:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))

    nginx = subprocess.Popen(
        [nginx_binary(), "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
        preexec_fn=stock_limit,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 10
        while not workers and time.monotonic() < deadline:
            time.sleep(0.2)
            children = Path(f"/proc/{nginx.pid}/task/{nginx.pid}/children")
            workers = [int(pid) for pid in children.read_text().split()] if children.exists() else []
        assert workers, "nginx started no worker"
        limits = Path(f"/proc/{workers[0]}/limits").read_text()
        soft = int(re.search(r"Max open files\s+(\d+)", limits).group(1))
        assert soft > 2 * connections, limits
    finally:
        nginx.terminate()
        nginx.wait(10)


def test_nginx_body_limit_is_the_applications():
    # deploy/nginx.conf says why they must agree (granian's unread 413 was a 502 through nginx).
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    (value,) = re.findall(r"^\s*client_max_body_size (\d+)k;", text, re.MULTILINE)
    assert int(value) * 1024 == settings.MAX_REQUEST_BODY_BYTES
