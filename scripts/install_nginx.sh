#!/usr/bin/env bash
# Installs Debian's nginx (for ./serve.sh and the layout test, tests/test_layout.py) when it is
# missing. Idempotent. Needs root (or sudo) and apt-get. Whether or not the package starts its own
# service, ours is a separate nginx process with its own configuration (deploy/layout.py renders
# deploy/nginx.conf) on its own port.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

apt_ensure nginx "test -x /usr/sbin/nginx || command -v nginx" "/usr/sbin/nginx -v || nginx -v" nginx
