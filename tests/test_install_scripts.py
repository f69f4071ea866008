"""scripts/install_*.sh and their shared helper, scripts/lib/apt.sh.

The helper is driven with a recording ``apt-get`` (and ``id``) first on PATH: these tests check
what it would ask apt for and when, without installing anything on the machine."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def _fake_bin(tmp_path: Path, *, uid: int, apt_creates: Path | None = None) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    touch = f'touch "{apt_creates}"' if apt_creates else ":"
    (bin_dir / "apt-get").write_text(
        f'#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> "{log}"\ncase "$1" in install) {touch};; esac\n'
    )
    (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return bin_dir


def _run_helper(tmp_path: Path, bin_dir: Path, check: str) -> subprocess.CompletedProcess:
    script = tmp_path / "install_thing.sh"
    script.write_text(
        "set -euo pipefail\n"
        f'source "{SCRIPTS / "lib" / "apt.sh"}"\n'
        f"apt_ensure thing '{check}' 'echo v1.2' thing-pkg thing-extra\n"
    )
    # No sudo on this PATH (the real one may have it): the non-root case must refuse.
    path = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
    env = {"PATH": path, "HOME": str(tmp_path)}
    if shutil.which("sudo", path=path):
        pytest.skip("sudo is in /usr/bin or /bin here")
    return subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=30)


def test_present_means_nothing_is_installed(tmp_path):
    bin_dir = _fake_bin(tmp_path, uid=0)
    result = _run_helper(tmp_path, bin_dir, "true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "thing already installed: v1.2"
    assert not (tmp_path / "apt.log").exists()


def test_missing_as_root_runs_update_then_install_without_recommends(tmp_path):
    marker = tmp_path / "installed"
    bin_dir = _fake_bin(tmp_path, uid=0, apt_creates=marker)
    result = _run_helper(tmp_path, bin_dir, f"test -e {marker}")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "apt.log").read_text().splitlines() == [
        "noninteractive update -q",
        "noninteractive install -y -q --no-install-recommends thing-pkg thing-extra",
    ]
    assert result.stdout.strip().endswith("installed thing: v1.2")


def test_a_package_that_does_not_provide_the_binary_fails(tmp_path):
    bin_dir = _fake_bin(tmp_path, uid=0)
    result = _run_helper(tmp_path, bin_dir, "false")
    assert result.returncode == 1
    assert "installed thing-pkg thing-extra but thing is still missing" in result.stderr


def test_not_root_and_no_sudo_refuses_and_installs_nothing(tmp_path):
    bin_dir = _fake_bin(tmp_path, uid=1000)
    result = _run_helper(tmp_path, bin_dir, "false")
    assert result.returncode == 1
    assert result.stderr.strip() == "install_thing.sh: run as root (or install sudo)"
    assert not (tmp_path / "apt.log").exists()


@pytest.mark.parametrize(
    ("script", "binary"),
    [("install_nginx.sh", "nginx"), ("install_node.sh", "node"), ("install_chromium.sh", "chromium")],
)
def test_each_script_says_already_installed_when_its_binary_is_there(script, binary):
    if not (shutil.which(binary) or shutil.which(binary, path="/usr/sbin")):
        pytest.skip(f"{binary} is not installed here")
    if binary == "node" and not shutil.which("npm"):
        pytest.skip("npm is not installed here")
    result = subprocess.run(["bash", str(SCRIPTS / script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{binary} already installed: ")


def test_install_media_installs_janus_and_coturn_in_one_apt_run_when_either_is_missing(tmp_path):
    """scripts/install_media.sh (janus for the rooms media server, coturn for TURN): one
    ``apt-get install`` with both packages; nothing when both are there."""
    text = (SCRIPTS / "install_media.sh").read_text()
    assert 'apt_ensure "janus and coturn"' in text and text.rstrip().endswith("janus coturn")
    if not (Path("/usr/bin/janus").exists() and Path("/usr/bin/turnserver").exists()):
        pytest.skip("janus or coturn is not installed here")
    result = subprocess.run(["bash", str(SCRIPTS / "install_media.sh")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("janus and coturn already installed: janus 1.1")
