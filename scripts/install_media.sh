#!/usr/bin/env bash
# Installs Debian's media servers for the audio rooms when either is missing: janus (the WebRTC
# media server: AudioBridge, Streaming, its HTTP transport) and coturn (the TURN server), in one
# apt-get run. Idempotent. Needs root (or sudo) and apt-get. The tests start their own processes
# of both (tests/janus_server.py, the coturn fixture) with configurations from deploy/ on free
# loopback ports; the packages' own services, if the package starts them, are not used.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

apt_ensure "janus and coturn" \
  "test -x /usr/bin/janus && test -x /usr/bin/turnserver" \
  "/usr/bin/janus --version | sed -n 's/^Janus version: .*(\(.*\))/janus \1/p'; /usr/bin/turnserver -h 2>&1 | grep -m1 -o 'Version Coturn-[^ ]*'" \
  janus coturn
