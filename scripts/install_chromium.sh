#!/usr/bin/env bash
# Installs Debian's chromium (for the browser tests: rooms demo page, moderation admin) when
# /usr/bin/chromium is missing. Idempotent: does nothing when it is already there.
# Needs root (or sudo) and apt-get; Playwright drives this browser through executable_path,
# so `playwright install` is never needed.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install_chromium.sh: run as root (or install sudo)" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-liberation
/usr/bin/chromium --version
