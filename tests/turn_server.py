"""A real coturn (``turnserver``) on loopback for tests, run from the repository's config.

``run_turn_server(secret=...)`` copies ``deploy/coturn/turnserver.conf`` into a temporary folder,
replaces what only a test may change (addresses, ports, log, pid and database files) and lets the
relay reach loopback peers: the shipped config denies 127.0.0.0/8, since in production a relay
into the TURN host's loopback would expose its local services; in the test every peer, and
Janus, is on 127.0.0.1. The listening port and the relay port range are free ones picked at start,
so several test runs can share the machine. Everything else (TURN REST API authentication, realm,
quotas, no CLI) is the shipped file. The context manager waits until the server answers a STUN
binding request and stops the process afterwards.

``turnserver`` is Debian's ``coturn`` (scripts/install_media.sh); ``turnserver_binary()`` is None
without it, and the fixtures in the tests skip.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "coturn" / "turnserver.conf"
# Keys of the shipped config that the test copy sets itself.
OVERRIDDEN = {"listening-port", "listening-ip", "relay-ip", "external-ip", "min-port", "max-port"}
OVERRIDDEN |= {"log-file", "pidfile", "userdb", "db", "static-auth-secret", "allow-loopback-peers"}
LOOPBACK_DENIALS = {"denied-peer-ip=127.0.0.0-127.255.255.255", "denied-peer-ip=::1"}


@dataclass
class TurnServer:
    host: str
    port: int
    secret: str
    realm: str
    log_path: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"turn:{self.host}:{self.port}?transport=udp"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def turnserver_binary() -> str | None:
    return shutil.which("turnserver") or next(
        (path for path in ("/usr/bin/turnserver", "/usr/local/bin/turnserver") if os.access(path, os.X_OK)), None
    )


def free_udp_and_tcp_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (coturn listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket() as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port for UDP and TCP")


def render_config(
    *,
    port: int,
    min_port: int,
    max_port: int,
    workdir: Path,
    extra: list[str],
    loopback_peers: bool = True,
    relay_ip: str = "127.0.0.1",
) -> str:
    """The shipped config with the test's addresses, ports and files; loopback peers allowed
    unless ``loopback_peers`` is False (then the shipped peer denials stay as they are)."""
    lines = []
    for line in CONFIG.read_text().splitlines():
        stripped = line.strip()
        key = stripped.split("=", 1)[0].strip()
        if key in OVERRIDDEN or (loopback_peers and stripped in LOOPBACK_DENIALS):
            continue
        lines.append(line)
    lines += [
        "# --- test overrides (tests/turn_server.py) ---",
        "listening-ip=127.0.0.1",
        f"relay-ip={relay_ip}",
        f"listening-port={port}",
        f"min-port={min_port}",
        f"max-port={max_port}",
        f"log-file={workdir / 'turnserver.log'}",
        f"pidfile={workdir / 'turnserver.pid'}",
        f"userdb={workdir / 'turndb.sqlite3'}",
        *(["allow-loopback-peers"] if loopback_peers else []),
        "verbose",
        *extra,
    ]
    return "\n".join(lines) + "\n"


def config_value(key: str) -> str | None:
    for line in CONFIG.read_text().splitlines():
        name, _, value = line.strip().partition("=")
        if name.strip() == key:
            return value.strip()
    return None


def stun_binding_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether a STUN binding request (RFC 5389) to host:port gets a success response."""
    transaction = os.urandom(12)
    request = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + transaction
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(request, (host, port))
            data, _ = sock.recvfrom(2048)
        except OSError:
            return False
    return len(data) >= 20 and struct.unpack("!H", data[:2])[0] == 0x0101 and data[8:20] == transaction


@contextlib.contextmanager
def run_turn_server(
    *,
    secret: str,
    workdir: Path,
    extra: list[str] | None = None,
    loopback_peers: bool = True,
    relay_ip: str = "127.0.0.1",
) -> Iterator[TurnServer]:
    """coturn listening on 127.0.0.1 with the TURN REST API ``secret``; yields a
    :class:`TurnServer`. ``loopback_peers=False`` keeps the shipped config's denial of loopback
    peers; ``relay_ip`` is the local address its relayed traffic comes from."""
    binary = turnserver_binary()
    if binary is None:
        raise RuntimeError("turnserver is not installed (scripts/install_media.sh installs coturn)")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_udp_and_tcp_port()
    min_port = random.randrange(20000, 60000, 100)
    config_path = workdir / "turnserver.conf"
    config_path.write_text(
        render_config(
            port=port,
            min_port=min_port,
            max_port=min_port + 99,
            workdir=workdir,
            extra=extra or [],
            loopback_peers=loopback_peers,
            relay_ip=relay_ip,
        )
    )
    log_path = workdir / "turnserver.log"
    with open(workdir / "turnserver.stdout", "wb") as out:
        # The secret goes on the command line, as in docker-compose.yml (it is not in the file).
        process = subprocess.Popen(
            [binary, "-c", str(config_path), f"--static-auth-secret={secret}"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = TurnServer("127.0.0.1", port, secret, config_value("realm") or "", log_path, process)
    try:
        deadline = time.monotonic() + 15
        while not stun_binding_answers("127.0.0.1", port):
            if process.poll() is not None:
                output = (workdir / "turnserver.stdout").read_text(errors="replace")
                raise RuntimeError(
                    f"turnserver exited with {process.returncode}: {output[-2000:]}{server.log()[-2000:]}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"turnserver did not answer STUN on {port}: {server.log()[-2000:]}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
