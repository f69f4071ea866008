"""docker-compose.yml and the Dockerfile, checked without Docker (which cannot run here): the
services the deployment needs, their health checks, and that every command a service runs exists
in the image it runs in (the app image installs requirements.txt, as this .venv does; the proxy
image is Debian's nginx with deploy/nginx.conf)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# Console scripts the app services run, and the pinned distribution that installs each.
APP_EXECUTABLES = {"granian": "granian", "daphne": "daphne", "celery": "celery", "python": None}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def dockerfile_stages() -> dict[str, str]:
    """Dockerfile text per stage name (``FROM ... AS name``)."""
    stages: dict[str, str] = {}
    current = None
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        match = re.match(r"FROM\s+\S+\s+AS\s+(\w+)", line, re.IGNORECASE)
        if match:
            current = match.group(1)
            stages[current] = ""
        if current:
            stages[current] += line + "\n"
    return stages


def commands_of(service: dict) -> list[list[str]]:
    """The programs a service runs: ``sh -c "a && exec b"`` is two commands, a and b."""
    command = service["command"]
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if argv[:2] == ["sh", "-c"]:
        return [[w for w in shlex.split(part) if w != "exec"] for part in argv[2].split("&&")]
    return [argv]


def pinned(distribution: str) -> bool:
    text = (ROOT / "requirements.txt").read_text().lower()
    return re.search(rf"^{re.escape(distribution)}(\[[^\]]*\])?==", text, re.MULTILINE) is not None


def test_compose_has_every_service_of_the_deployment():
    services = compose()["services"]
    assert set(services) == {"proxy", "migrate", "web", "ws", "worker", "beat", "db", "redis", "janus", "turn"}
    assert services["proxy"]["build"]["target"] == "proxy"
    for name in ("migrate", "web", "ws", "worker", "beat"):
        assert services[name]["build"]["target"] == "app", name
        assert services[name]["environment"]["TRUSTED_PROXY_COUNT"] == "1", name
    assert services["proxy"]["ports"] == ["${PORT:-8000}:80"]
    assert all("ports" not in services[name] for name in ("web", "ws")), "only the proxy is published"


def test_every_long_running_service_has_a_health_check_and_waits_for_what_it_needs():
    services = compose()["services"]
    for name in ("proxy", "web", "ws", "worker", "db", "redis", "janus", "turn"):
        assert services[name]["healthcheck"]["test"], name
    assert services["web"]["healthcheck"]["test"][-1].endswith("'http://127.0.0.1:8000/readyz', timeout=4)")
    assert "http://127.0.0.1:8001/readyz" in services["ws"]["healthcheck"]["test"][-1]
    assert services["proxy"]["depends_on"] == {
        "web": {"condition": "service_healthy"},
        "ws": {"condition": "service_healthy"},
    }
    for name in ("web", "ws", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["db"] == depends["redis"] == {"condition": "service_healthy"}, name
    for name in ("ws", "worker", "beat"):  # web starts after the migrations
        assert services[name]["depends_on"]["web"] == {"condition": "service_healthy"}, name


def test_migrations_run_once_before_any_web_container_starts():
    """In a one-shot service of their own: with --scale web=2, each web container running them
    would race the other (concurrent migrations fail)."""
    services = compose()["services"]
    assert commands_of(services["migrate"]) == [["python", "manage.py", "migrate", "--noinput"]]
    assert services["migrate"]["restart"] == "no"
    assert services["web"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    for name, service in services.items():
        if name != "migrate" and "command" in service:
            assert all("migrate" not in argv for argv in commands_of(service)), name


def test_every_long_running_service_comes_back_after_a_crash():
    services = compose()["services"]
    for name, service in services.items():
        assert service.get("restart") == ("no" if name == "migrate" else "unless-stopped"), name


def test_no_secret_is_written_in_the_compose_file():
    """The database password comes from the environment, as every other secret does."""
    services = compose()["services"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
    url = services["web"]["environment"]["DATABASE_URL"]
    assert url == "postgres://twitterclone:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}@db:5432/twitterclone"


def test_every_app_service_command_exists_in_the_app_image():
    from django.core.management import get_commands

    stage = dockerfile_stages()["app"]
    assert "pip install --no-cache-dir -r requirements.txt" in stage
    assert "COPY . ." in stage
    services = compose()["services"]
    seen = set()
    for name in ("migrate", "web", "ws", "worker", "beat"):
        for argv in commands_of(services[name]):
            program = argv[0]
            assert program in APP_EXECUTABLES, f"{name}: {program} is not installed in the app image"
            seen.add(program)
            if APP_EXECUTABLES[program]:
                assert pinned(APP_EXECUTABLES[program]), f"{program} is not pinned in requirements.txt"
                assert (VENV_BIN / program).exists(), f"{program}: not installed by requirements.txt"
            if program == "python":
                assert argv[1] == "manage.py" and argv[2] in get_commands(), argv
            if program == "granian":
                check_granian(argv)
            if program == "daphne":
                module, attribute = argv[-1].split(":")
                assert callable(getattr(import_module(module), attribute))
                assert argv[argv.index("-p") + 1] == "8001"
                from deploy.layout import DAPHNE_PROXY_FLAGS

                assert argv[argv.index("--proxy-headers") : -1] == DAPHNE_PROXY_FLAGS, argv
            if program == "celery":
                assert argv[1:3] == ["-A", "twitterclone"]
                assert import_module("twitterclone.celery").app.main == "twitterclone"
    assert seen == set(APP_EXECUTABLES)
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", stage, re.MULTILINE).group(1))
    assert cmd[:2] == ["sh", "-c"]
    check_granian([w for w in shlex.split(cmd[2]) if w != "exec"])


def check_granian(argv: list[str]) -> None:
    """The production HTTP server as deploy/layout.py runs it: the same flags, the WSGI app, port 8000."""
    from deploy.layout import GRANIAN_FLAGS

    assert argv[1 : 1 + len(GRANIAN_FLAGS)] == GRANIAN_FLAGS, argv
    assert argv[argv.index("--host") + 1] == "0.0.0.0"
    assert argv[argv.index("--port") + 1] == "8000"
    assert "--workers" in argv and "--blocking-threads" in argv
    module, attribute = argv[-1].split(":")
    assert callable(getattr(import_module(module), attribute))


def test_the_proxy_image_is_debians_nginx_with_the_repository_config():
    stage = dockerfile_stages()["proxy"]
    assert re.search(r"FROM debian:\S+ AS proxy", stage)
    assert re.search(r"apt-get install .*\bnginx\b.*\bcurl\b", stage)  # curl: the health check
    assert "COPY deploy/nginx.conf /etc/nginx/nginx.conf" in stage
    assert 'CMD ["nginx", "-g", "daemon off;"]' in stage
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(r"server web:8000 .*# @http-servers", conf)
    assert re.search(r"server ws:8001 .*# @ws-servers", conf)
    assert "listen 80;" in conf


def test_the_compose_nginx_config_passes_nginx_t(tmp_path):
    """The file as the proxy image uses it; only the service names become loopback addresses
    (they resolve only inside the compose network)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (apt-get install nginx; .ci/run does)")
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    conf = conf.replace("server web:8000", "server 127.0.0.1:8000").replace("server ws:8001", "server 127.0.0.1:8001")
    conf = conf.replace("alias /app/media/;", f"alias {tmp_path}/;")
    (tmp_path / "nginx.conf").write_text(conf)
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", f"pid {tmp_path}/nginx.pid;"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


JANUS_SECRETS = (
    "JANUS_API_SECRET",
    "JANUS_TOKEN_SECRET",
    "JANUS_ADMIN_SECRET",
    "JANUS_ADMIN_KEY",
    "JANUS_EVENTS_SECRET",
)


def test_the_janus_service_and_the_app_share_its_secrets_and_addresses():
    services = compose()["services"]
    janus = services["janus"]
    assert janus["build"]["target"] == "janus"
    for name in ("web", "ws", "worker", "beat"):
        env = services[name]["environment"]
        assert env["JANUS_URL"] == "http://janus:8088/janus", name
        assert env["JANUS_ADMIN_URL"] == "http://janus:7088/admin", name
        assert env["JANUS_PUBLIC_URL"].startswith("${JANUS_PUBLIC_URL:-http"), name
        for secret in JANUS_SECRETS:
            assert env[secret] == janus["environment"][secret] == f"${{{secret}:?set {secret}}}", (name, secret)
        # Janus's event handler calls web directly, by its compose name (rooms.media.viewers).
        assert env["ALLOWED_HOSTS"].endswith(",web"), name
    assert janus["environment"]["JANUS_EVENTS_BACKEND"] == "http://web:8000/internal/janus/events"
    # The Janus API and the media are published; the Admin API is not.
    assert janus["ports"] == ["${JANUS_PORT:-8088}:8088", "20000-20199:20000-20199/udp"]
    assert janus["environment"]["JANUS_RTP_PORT_RANGE"] == "20000-20199"
    assert "http://127.0.0.1:8088/janus/info" in janus["healthcheck"]["test"]
    stage = dockerfile_stages()["janus"]
    assert re.search(r"FROM debian:\S+ AS janus", stage)
    assert re.search(r"apt-get install .*\bjanus\b.*\bgettext-base\b.*\bcurl\b", stage)
    assert "COPY deploy/janus/ /app/deploy/janus/" in stage
    assert 'ENTRYPOINT ["/app/deploy/janus/entrypoint.sh"]' in stage


def test_the_janus_image_entrypoint_renders_a_config_janus_runs(tmp_path):
    """deploy/janus/entrypoint.sh as the image runs it (envsubst, then janus), with loopback ports
    and a temporary config folder: Janus starts, loads only our plugins and transport, runs its
    media on one shared loop per CPU, and refuses a request without the API secret."""
    from deploy.janus_config import free_port, janus_binary, stop_janus, wait_for_janus

    if janus_binary() is None or shutil.which("envsubst") is None:
        pytest.skip("janus or envsubst is not installed (scripts/install_media.sh)")
    http_port, admin_port = free_port(), free_port()
    env = {
        "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
        "JANUS_TEMPLATES": str(ROOT / "deploy" / "janus"),
        "JANUS_CONFIG_DIR": str(tmp_path / "conf"),
        "JANUS_HTTP_PORT": str(http_port),
        "JANUS_HTTP_IP": "127.0.0.1",
        "JANUS_ADMIN_PORT": str(admin_port),
        "JANUS_ADMIN_IP": "127.0.0.1",
        "JANUS_RTP_PORT_RANGE": "20000-60000",
        "JANUS_EVENTS_BACKEND": "http://127.0.0.1:9/internal/janus/events",
        **{secret: f"test-{secret.lower()}" for secret in JANUS_SECRETS},
    }
    log = tmp_path / "janus.log"
    process = subprocess.Popen(
        [str(ROOT / "deploy" / "janus" / "entrypoint.sh"), "-L", str(log), "-N"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{http_port}/janus"
        wait_for_janus(url, process=process, log_path=log)
        import httpx

        info = httpx.get(f"{url}/info").json()
        assert set(info["plugins"]) == {"janus.plugin.audiobridge", "janus.plugin.streaming"}
        assert set(info["transports"]) == {"janus.transport.http"}
        assert set(info["events"]) == {"janus.eventhandler.sampleevh"}  # JANUS_EVENTS_BACKEND is set
        assert info["api_secret"] is True and info["auth_token"] is True
        # Media on a shared pool of loops, one per CPU (nproc), that clients cannot choose.
        assert info["static-event-loops"] == int(subprocess.check_output(["nproc"]))
        assert info["loop-indication"] is False
        refused = httpx.post(url, json={"janus": "create", "transaction": "t"}).json()
        assert refused["janus"] == "error" and refused["error"]["code"] == 403
        created = httpx.post(url, json={"janus": "create", "transaction": "t", "apisecret": "test-janus_api_secret"})
        assert created.json()["janus"] == "success"
        conf = (tmp_path / "conf" / "janus.plugin.audiobridge.jcfg").read_text()
        assert 'admin_key = "test-janus_admin_key"' in conf and "${" not in conf
    finally:
        stop_janus(process)


def test_the_turn_service_is_debians_coturn_with_the_repository_config_and_the_apps_secret():
    """The turn image, its command and the app's TURN settings agree: the same shared secret on
    both sides, the ICE servers pointing at the port coturn listens on."""
    stage = dockerfile_stages()["turn"]
    assert re.search(r"FROM debian:\S+ AS turn", stage)
    assert re.search(r"apt-get install .*\bcoturn\b", stage)
    assert "COPY deploy/coturn/turnserver.conf /etc/turnserver.conf" in stage
    services = compose()["services"]
    turn = services["turn"]
    assert turn["build"]["target"] == "turn"
    assert turn["network_mode"] == "host"
    assert turn["command"][:3] == ["turnserver", "-c", "/etc/turnserver.conf"]
    assert "--static-auth-secret=${ROOM_TURN_SECRET:?set ROOM_TURN_SECRET}" in turn["command"]
    conf = (ROOT / "deploy" / "coturn" / "turnserver.conf").read_text().splitlines()
    assert "use-auth-secret" in conf and "listening-port=3478" in conf
    assert not any(line.startswith(("static-auth-secret", "allow-loopback-peers")) for line in conf)
    assert "denied-peer-ip=127.0.0.0-127.255.255.255" in conf
    assert turn["healthcheck"]["test"][-3:] == ["-p", "3478", "127.0.0.1"]
    for name in ("web", "ws", "worker", "beat"):
        env = services[name]["environment"]
        assert env["ROOM_TURN_SECRET"] == "${ROOM_TURN_SECRET:?set ROOM_TURN_SECRET}", name
        ice = json.loads(env["ROOM_ICE_SERVERS"].replace("${TURN_HOST:-localhost}", "localhost"))
        assert ice == [{"urls": ["turn:localhost:3478?transport=udp", "turn:localhost:3478?transport=tcp"]}], name


def test_the_turn_health_check_command_passes_against_a_real_coturn(tmp_path):
    """The compose health check (turnutils_stunclient, from the coturn package) run against coturn
    started from the repository's config; it fails against a port nobody answers on."""
    from tests.turn_server import free_udp_and_tcp_port, run_turn_server, turnserver_binary

    if turnserver_binary() is None or shutil.which("turnutils_stunclient") is None:
        pytest.skip("coturn is not installed (scripts/install_media.sh; .ci/run runs it)")
    check = compose()["services"]["turn"]["healthcheck"]["test"][1:]
    with run_turn_server(secret="s", workdir=tmp_path / "coturn") as server:
        argv = [str(server.port) if word == "3478" else word for word in check]
        assert subprocess.run(argv, capture_output=True).returncode == 0
    argv = [str(free_udp_and_tcp_port()) if word == "3478" else word for word in check]
    assert subprocess.run(argv, capture_output=True).returncode != 0
