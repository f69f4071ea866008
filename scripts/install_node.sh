#!/usr/bin/env bash
# Installs Debian's nodejs and npm (for the masto.js test, mastodon_api/tests/test_client_masto_js.py)
# when node or npm is missing. Idempotent. Needs root (or sudo) and apt-get; the test installs its
# own npm packages.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

apt_ensure node "command -v node && command -v npm" 'echo "node $(node --version), npm $(npm --version)"' nodejs npm
