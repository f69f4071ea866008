#!/usr/bin/env bash
# Installs Debian's nginx (for ./serve.sh and the layout test, tests/test_layout.py) when it is
# missing. Idempotent. Needs root (or sudo) and apt-get. Whether or not the package starts its own
# service, ours is a separate nginx process with its own configuration (deploy/layout.py renders
# deploy/nginx.conf) on its own port.
set -euo pipefail

if [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1; then
  echo "nginx already installed: $( (/usr/sbin/nginx -v || nginx -v) 2>&1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install_nginx.sh: run as root (or install sudo)" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends nginx
/usr/sbin/nginx -v
