#!/usr/bin/env bash
# Installs Debian's chromium (for the browser tests: rooms demo page, moderation admin) when
# /usr/bin/chromium is missing. Idempotent: does nothing when it is already there.
# Needs root (or sudo) and apt-get; Playwright drives this browser through executable_path,
# so `playwright install` is never needed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

apt_ensure chromium "test -x /usr/bin/chromium" "/usr/bin/chromium --version 2>/dev/null" chromium fonts-liberation
