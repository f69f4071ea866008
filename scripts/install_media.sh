#!/usr/bin/env bash
# Installs Debian's media servers for the audio rooms when they are missing: janus (the WebRTC
# media server: AudioBridge, Streaming, its HTTP transport) and coturn (the TURN server), in one
# apt-get run. Idempotent. Needs root (or sudo) and apt-get. The tests start their own processes
# of both (tests/janus_server.py and the coturn fixture) with configurations from deploy/, on
# free loopback ports; the packages' own services, if the package starts them, are not used.
set -euo pipefail

missing=()
command -v janus >/dev/null 2>&1 || [ -x /usr/bin/janus ] || missing+=(janus)
command -v turnserver >/dev/null 2>&1 || [ -x /usr/bin/turnserver ] || missing+=(coturn)

if [ ${#missing[@]} -eq 0 ]; then
  echo "janus and coturn already installed: $(janus --version 2>/dev/null | sed -n 's/^Janus version: .*(\(.*\))/janus \1/p')"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install_media.sh: run as root (or install sudo)" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
janus --version | head -1
