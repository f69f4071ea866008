"""Janus media server for the audio rooms: the configuration in ``deploy/janus/`` rendered and run.

``deploy/janus/*.jcfg`` are templates with ``${NAME}`` placeholders (the same syntax ``envsubst``
fills in the compose image, ``deploy/janus/entrypoint.sh``). ``render_config(directory, values)``
writes them filled in; ``run_janus(...)`` renders them with free loopback ports in a temporary
directory, starts Debian's ``janus`` binary, waits until its HTTP API answers, yields a
``JanusInstance`` (URLs and secrets) and stops the process afterwards. Used by the test fixture
(``tests/janus_server.py``) and the benchmarks.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = ROOT / "deploy" / "janus"
PLACEHOLDERS = (
    "JANUS_CONFIG_DIR",
    "JANUS_LIB_DIR",
    "JANUS_DEBUG_LEVEL",
    "JANUS_API_SECRET",
    "JANUS_TOKEN_SECRET",
    "JANUS_ADMIN_SECRET",
    "JANUS_ADMIN_KEY",
    "JANUS_SESSION_TIMEOUT",
    "JANUS_EVENT_LOOPS",
    "JANUS_RTP_PORT_RANGE",
    "JANUS_PLUGIN_RTP_PORT_RANGE",
    "JANUS_HTTP_PORT",
    "JANUS_HTTP_IP",
    "JANUS_ADMIN_PORT",
    "JANUS_ADMIN_IP",
    "JANUS_EVENTS_ENABLED",
    "JANUS_EVENTS_BACKEND",
    "JANUS_EVENTS_SECRET",
)


def janus_binary() -> str | None:
    """The path of the ``janus`` binary (``scripts/install_media.sh`` installs Debian's), or None."""
    return shutil.which("janus") or ("/usr/bin/janus" if os.path.exists("/usr/bin/janus") else None)


def janus_lib_dir() -> str:
    """Where Debian puts Janus's plugins and transports (``/usr/lib/<multiarch>/janus``)."""
    for candidate in [*sorted(glob.glob("/usr/lib/*/janus")), "/usr/lib/janus", "/usr/local/lib/janus"]:
        if os.path.isdir(os.path.join(candidate, "plugins")):
            return candidate
    raise FileNotFoundError("no Janus plugins folder under /usr/lib (is the janus package installed?)")


def render_config(directory: Path, values: dict[str, str]) -> Path:
    """Write every ``deploy/janus/*.jcfg`` into ``directory`` with its placeholders filled from
    ``values`` (all of ``PLACEHOLDERS`` are required). Returns the path of ``janus.jcfg``."""
    missing = [name for name in PLACEHOLDERS if name not in values]
    if missing:
        raise KeyError(f"missing Janus config values: {', '.join(missing)}")
    directory.mkdir(parents=True, exist_ok=True)
    for template in sorted(TEMPLATE_DIR.glob("*.jcfg")):
        text = string.Template(template.read_text()).substitute(values)
        (directory / template.name).write_text(text)
    return directory / "janus.jcfg"


def default_event_loops() -> int:
    """One Janus media loop per CPU this process may run on (as ``nproc`` counts them)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class JanusInstance:
    """A running Janus: what our settings need to talk to it (``as_settings()``)."""

    url: str  # Janus API over HTTP, e.g. http://127.0.0.1:PORT/janus
    admin_url: str  # Admin API, e.g. http://127.0.0.1:PORT/admin
    api_secret: str
    token_secret: str
    admin_secret: str
    admin_key: str
    events_secret: str  # the event handler's password (JANUS_EVENTS_SECRET); "" when it is off
    process: subprocess.Popen
    directory: Path
    log_path: Path

    def as_settings(self) -> dict[str, str]:
        """The Django settings (and environment variables) for a backend using this Janus."""
        return {
            "JANUS_URL": self.url,
            "JANUS_PUBLIC_URL": self.url,
            "JANUS_ADMIN_URL": self.admin_url,
            "JANUS_API_SECRET": self.api_secret,
            "JANUS_TOKEN_SECRET": self.token_secret,
            "JANUS_ADMIN_SECRET": self.admin_secret,
            "JANUS_ADMIN_KEY": self.admin_key,
            "JANUS_EVENTS_SECRET": self.events_secret,
        }

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def wait_for_janus(url: str, *, process: subprocess.Popen, log_path: Path, timeout: float = 30.0) -> None:
    """Until ``GET <url>/info`` answers (it needs no secret) or the process exits."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"janus exited with {process.returncode}:\n{log_path.read_text(errors='replace')[-4000:]}"
            )
        try:
            with urllib.request.urlopen(f"{url}/info", timeout=2) as response:  # noqa: S310 (our own http URL)
                if json.loads(response.read()).get("janus") == "server_info":
                    return
        except (OSError, ValueError, urllib.error.URLError) as exc:
            last_error = exc
        time.sleep(0.1)
    raise TimeoutError(f"janus at {url} did not answer in {timeout}s: {last_error}")


@contextlib.contextmanager
def run_janus(
    *,
    debug_level: int = 3,
    session_timeout: int = 60,
    event_loops: int | None = None,
    extra_args: list[str] | None = None,
    events_backend: str = "",
) -> Iterator[JanusInstance]:
    """Start Janus with the repository's configuration on free loopback ports, in a temporary
    directory of its own (so several can run at once), with fresh random secrets.
    ``event_loops``: Janus's shared media loops (default: one per CPU; 0: a thread per handle).
    ``events_backend``: the URL its event handler POSTs the Streaming events to (our
    ``/internal/janus/events``); empty: the handler is off."""
    binary = janus_binary()
    if binary is None:
        raise FileNotFoundError("janus is not installed (scripts/install_media.sh)")
    http_port, admin_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="janus-") as tmp:
        directory = Path(tmp)
        values = {
            "JANUS_CONFIG_DIR": str(directory),
            "JANUS_LIB_DIR": janus_lib_dir(),
            "JANUS_DEBUG_LEVEL": str(debug_level),
            "JANUS_API_SECRET": secrets.token_urlsafe(24),
            "JANUS_TOKEN_SECRET": secrets.token_urlsafe(24),
            "JANUS_ADMIN_SECRET": secrets.token_urlsafe(24),
            "JANUS_ADMIN_KEY": secrets.token_urlsafe(24),
            "JANUS_SESSION_TIMEOUT": str(session_timeout),
            "JANUS_EVENT_LOOPS": str(default_event_loops() if event_loops is None else event_loops),
            "JANUS_RTP_PORT_RANGE": "20000-60000",
            "JANUS_PLUGIN_RTP_PORT_RANGE": "10000-19999",
            "JANUS_HTTP_PORT": str(http_port),
            "JANUS_HTTP_IP": "127.0.0.1",
            "JANUS_ADMIN_PORT": str(admin_port),
            "JANUS_ADMIN_IP": "127.0.0.1",
            "JANUS_EVENTS_ENABLED": "true" if events_backend else "false",
            "JANUS_EVENTS_BACKEND": events_backend,
            "JANUS_EVENTS_SECRET": secrets.token_urlsafe(24) if events_backend else "",
        }
        config = render_config(directory, values)
        log_path = directory / "janus.log"
        argv = [binary, "-C", str(config), "-F", str(directory), "-o", "-L", str(log_path), "-N", *(extra_args or [])]
        process = subprocess.Popen(
            argv,
            preexec_fn=_die_with_parent,
            cwd=directory,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{http_port}/janus"
        try:
            wait_for_janus(url, process=process, log_path=log_path)
            yield JanusInstance(
                url=url,
                admin_url=f"http://127.0.0.1:{admin_port}/admin",
                api_secret=values["JANUS_API_SECRET"],
                token_secret=values["JANUS_TOKEN_SECRET"],
                admin_secret=values["JANUS_ADMIN_SECRET"],
                admin_key=values["JANUS_ADMIN_KEY"],
                events_secret=values["JANUS_EVENTS_SECRET"],
                process=process,
                directory=directory,
                log_path=log_path,
            )
        finally:
            stop_janus(process)


def _load_prctl():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()  # looked up before any fork: the child only calls it


def _die_with_parent() -> None:
    """In the child before exec: Linux sends it SIGTERM when the process that started it dies
    (a test run killed, a terminal closed), so no Janus outlives its owner."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def stop_janus(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM (Janus shuts down cleanly), SIGKILL after ``timeout``."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def main() -> None:
    """``python -m deploy.janus_config``: runs Janus for local development until Ctrl-C (or
    SIGTERM) and prints the settings to export before ``./dev.sh``."""
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    with run_janus() as janus:
        print("# Janus is running; in another shell:", flush=True)
        for name, value in janus.as_settings().items():
            print(f"export {name}={value}", flush=True)
        print(f"# log: {janus.log_path}", flush=True)
        try:
            janus.process.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
