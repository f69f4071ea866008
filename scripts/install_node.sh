#!/usr/bin/env bash
# Installs Debian's nodejs and npm (for the masto.js test, mastodon_api/tests/test_client_masto_js.py)
# when node or npm is missing. Idempotent. Needs root (or sudo) and apt-get; the test installs its
# own npm packages.
set -euo pipefail

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  echo "node already installed: $(node --version)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install_node.sh: run as root (or install sudo)" >&2
    exit 1
  fi
fi

$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
echo "installed node $(node --version), npm $(npm --version)"
