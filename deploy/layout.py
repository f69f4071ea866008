"""The production layout on one machine, without Docker (docs/deployment.md).

nginx (Debian's package) on one port routes ``/ws/`` and ``/api/v1/streaming`` to daphne processes
and everything else to HTTP server processes (granian on ``twitterclone.wsgi``), with an
optional Celery worker and beat, all on the PostgreSQL and Redis of DATABASE_URL / REDIS_URL.
Every process runs in its own session, so killing one kills its server's master and workers.

``run_layout(...)`` is used by ``./serve.sh`` (``python -m deploy.layout``), the layout test
(``tests/test_layout.py``) and ``bench/timeline.py``; the nginx configuration is
``deploy/nginx.conf`` with its ``@``-marked lines rendered for loopback ports.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf"
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
# "daphne" serves HTTP from twitterclone.asgi (Django's ASGI handler), as ./dev.sh does: for comparison.
HTTP_SERVERS = ("gunicorn", "granian", "daphne")
DEFAULT_HTTP_SERVER = "granian"  # the production server (docs/deployment.md says why)
# granian's flags in every layout; docker-compose.yml's web command uses the same (tests/test_compose.py).
GRANIAN_FLAGS = [
    "--interface",
    "wsgi",
    "--no-ws",
    # A worker that dies is started again (by default granian's master would exit instead).
    "--respawn-failed-workers",
    # Idle keep-alive connections stay open 60 s, longer than nginx keeps them (30 s), so nginx
    # never sends a request on a connection the server is closing.
    "--http1-header-read-timeout",
    "60000",
    "--log-level",
    "warning",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_binary() -> str:
    """The path of Debian's nginx (scripts/install_nginx.sh installs it; ./serve.sh runs that)."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise FileNotFoundError("nginx is not installed: run scripts/install_nginx.sh (apt-get install nginx)")
    return found


def render_nginx_conf(
    *,
    listen_port: int,
    http_ports: list[int],
    ws_ports: list[int],
    workdir: Path,
    media_root: Path,
    listen_host: str = "127.0.0.1",
) -> str:
    """deploy/nginx.conf for this machine: the lines marked ``# @name`` are replaced, the rest kept."""
    local_paths = "\n".join(
        f"    {directive} {workdir / name};"
        for directive, name in [
            ("client_body_temp_path", "client_body"),
            ("proxy_temp_path", "proxy"),
            ("fastcgi_temp_path", "fastcgi"),
            ("uwsgi_temp_path", "uwsgi"),
            ("scgi_temp_path", "scgi"),
        ]
    )
    replacements = {
        "@error-log": f"error_log {workdir / 'error.log'} warn;\npid {workdir / 'nginx.pid'};",
        "@local-paths": local_paths.strip(),
        "@access-log": f"access_log {workdir / 'access.log'} twitterclone;",
        "@http-servers": "\n        ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in http_ports),
        "@ws-servers": "\n        ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ws_ports),
        "@listen": f"listen {listen_host}:{listen_port};",
        "@media": f"alias {media_root}/;",
    }
    lines = []
    for line in NGINX_TEMPLATE.read_text().splitlines():
        marker = line.rsplit("# ", 1)[-1].strip() if "# @" in line else None
        if marker in replacements:
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(indent + replacements[marker])
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def http_server_command(server: str, port: int, threads: int) -> list[str]:
    """One HTTP server on 127.0.0.1:port with one worker process and ``threads`` request threads."""
    if server == "gunicorn":
        return [
            str(VENV_BIN / "gunicorn"),
            "--config",
            str(GUNICORN_CONFIG),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            str(threads),
        ]
    if server == "granian":
        return [
            str(VENV_BIN / "granian"),
            *GRANIAN_FLAGS,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--blocking-threads",
            str(threads),
            "twitterclone.wsgi:application",
        ]
    if server == "daphne":
        return daphne_command(port)
    raise ValueError(f"unknown HTTP server {server!r}; one of {', '.join(HTTP_SERVERS)}")


# The client address from X-Real-IP (and port), which nginx sets to the peer it saw, replacing any
# the client sent; the scheme from X-Forwarded-Proto, which nginx sets too. Not daphne's default
# X-Forwarded-For: daphne takes its leftmost entry, which the client writes (its logs and
# scope["client"] would show any address a client cares to claim). docker-compose.yml: the same.
DAPHNE_PROXY_FLAGS = ["--proxy-headers", "--proxy-headers-host", "X-Real-IP", "--proxy-headers-port", "X-Real-Port"]


def daphne_command(port: int) -> list[str]:
    return [
        str(VENV_BIN / "daphne"),
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        *DAPHNE_PROXY_FLAGS,
        "twitterclone.asgi:application",
    ]


def process_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """This environment (less pytest's), behind one trusted proxy, with ``env`` on top."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    base.update(
        {
            "DJANGO_SETTINGS_MODULE": "twitterclone.settings",
            "PYTHONUNBUFFERED": "1",
            "TRUSTED_PROXY_COUNT": "1",
        }
    )
    base.update(env or {})
    return base


@dataclass
class Process:
    name: str
    command: list[str]
    port: int | None
    popen: subprocess.Popen
    log_path: Path

    def log_tail(self, characters: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-characters:]
        except OSError:
            return ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Sends ``sig`` to the whole process group: a server's master and its workers."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen.poll() is None:
            self.kill(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill(signal.SIGKILL)  # stragglers of the group, if any
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)


@dataclass
class Layout:
    base_url: str
    http: list[Process]
    ws: list[Process]
    nginx: Process
    workdir: Path
    others: list[Process] = field(default_factory=list)

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1)

    @property
    def processes(self) -> list[Process]:
        return [*self.http, *self.ws, *self.others, self.nginx]

    def http_cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by every HTTP server process (masters and workers)."""
        return sum(group_cpu_seconds(p.popen.pid) for p in self.http)


def group_members(group: int) -> list[list[str]]:
    """The /proc stat fields (after "pid (comm)") of every process in one process group."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == group:
            members.append(fields)
    return members


def group_running(group: int) -> bool:
    """Whether any process of the group still runs (a zombie has already closed its sockets)."""
    return any(fields[0] != "Z" for fields in group_members(group))


def group_cpu_seconds(group: int) -> float:
    """CPU seconds used by the live processes of one process group (Linux /proc)."""
    # After "pid (comm)": state ppid pgrp ...; utime and stime are fields 14 and 15 of the whole line.
    ticks = sum(int(fields[11]) + int(fields[12]) for fields in group_members(group))
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_for_http(url: str, process: Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(
                f"{process.name} exited with {process.popen.returncode}: {process.command}\n{process.log_tail()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own loopback URL)
                return
        except urllib.error.HTTPError:
            return  # it answers, even if unhealthy
        except Exception as exc:
            last = exc
            time.sleep(0.2)
    raise TimeoutError(f"{process.name}: {url} did not answer within {timeout:.0f}s: {last}")


def _start(name: str, command: list[str], port: int | None, env: dict[str, str], logs: Path) -> Process:
    log_path = logs / f"{name}.log"
    log = open(log_path, "ab")  # noqa: SIM115 (the process owns it)
    popen = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return Process(name, command, port, popen, log_path)


@contextlib.contextmanager
def run_layout(
    env: dict[str, str] | None = None,
    *,
    http_processes: int = 2,
    ws_processes: int = 1,
    http_server: str = DEFAULT_HTTP_SERVER,
    threads: int = 4,
    port: int | None = None,
    host: str = "127.0.0.1",
    celery_worker: bool = False,
    celery_beat: bool = False,
    workdir: Path | None = None,
) -> Iterator[Layout]:
    """Starts the layout, waits until every server and the proxy answer /healthz, yields it, and
    stops everything afterwards. Logs go to ``workdir`` (a temporary folder unless given)."""
    owned = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="twitterclone-layout-")) if owned else workdir
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)  # nginx's workers (nobody, when started as root) use its temp folders
    environment = process_env(env)
    media_root = Path(environment.get("MEDIA_ROOT", ROOT / "media"))
    started: list[Process] = []
    try:
        http = []
        for index in range(http_processes):
            p = free_port()
            command = http_server_command(http_server, p, threads)
            http.append(_start(f"http{index + 1}", command, p, environment, workdir))
        ws = []
        for index in range(ws_processes):
            p = free_port()
            ws.append(_start(f"ws{index + 1}", daphne_command(p), p, environment, workdir))
        started += http + ws
        others = []
        if celery_worker:
            worker = [str(VENV_BIN / "celery"), "-A", "twitterclone", "worker", "--loglevel", "WARNING"]
            worker += ["--concurrency", "2", "--without-mingle", "--without-gossip"]
            others.append(_start("worker", worker, None, environment, workdir))
        if celery_beat:
            beat = [str(VENV_BIN / "celery"), "-A", "twitterclone", "beat", "--loglevel", "WARNING"]
            beat += ["--schedule", str(workdir / "celerybeat-schedule")]
            others.append(_start("beat", beat, None, environment, workdir))
        started += others
        for process in http + ws:
            wait_for_http(f"{process.url}/healthz", process)

        listen = port or free_port()
        conf = workdir / "nginx.conf"
        conf.write_text(
            render_nginx_conf(
                listen_port=listen,
                http_ports=[p.port for p in http],
                ws_ports=[p.port for p in ws],
                workdir=workdir,
                media_root=media_root,
                listen_host=host,
            )
        )
        nginx_command = [nginx_binary(), "-p", str(workdir), "-c", str(conf), "-e", "stderr", "-g", "daemon off;"]
        nginx = _start("nginx", nginx_command, listen, environment, workdir)
        started.append(nginx)
        wait_for_http(f"{nginx.url}/healthz", nginx)
        yield Layout(base_url=nginx.url, http=http, ws=ws, nginx=nginx, workdir=workdir, others=others)
    finally:
        for process in reversed(started):
            process.stop()
        if owned:
            shutil.rmtree(workdir, ignore_errors=True)
