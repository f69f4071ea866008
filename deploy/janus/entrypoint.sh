#!/bin/sh
# The janus image's entrypoint (Dockerfile, target "janus"): fills the ${NAME} placeholders of
# /app/deploy/janus/*.jcfg from the environment (envsubst, the same syntax deploy/janus_config.py
# fills for tests) into $JANUS_CONFIG_DIR, then runs Janus in the foreground.
# Required: JANUS_API_SECRET, JANUS_TOKEN_SECRET, JANUS_ADMIN_SECRET, JANUS_ADMIN_KEY.
# Optional: JANUS_PUBLIC_IP (the address browsers reach; put into host candidates, as for a 1:1
# NAT such as Docker's port publishing), JANUS_RTP_PORT_RANGE (ICE, publish it as UDP),
# JANUS_HTTP_PORT, JANUS_ADMIN_PORT, JANUS_DEBUG_LEVEL, JANUS_EVENT_LOOPS (shared media loops,
# default one per CPU, `nproc`; 0 = a thread per handle), JANUS_EVENTS_BACKEND (our
# /internal/janus/events URL: the event handler POSTs the Streaming viewers' events there) with
# JANUS_EVENTS_SECRET (required then; the app's JANUS_EVENTS_SECRET).
set -eu

: "${JANUS_API_SECRET:?set JANUS_API_SECRET}"
: "${JANUS_TOKEN_SECRET:?set JANUS_TOKEN_SECRET}"
: "${JANUS_ADMIN_SECRET:?set JANUS_ADMIN_SECRET}"
: "${JANUS_ADMIN_KEY:?set JANUS_ADMIN_KEY}"
TEMPLATES="${JANUS_TEMPLATES:-/app/deploy/janus}"
export JANUS_CONFIG_DIR="${JANUS_CONFIG_DIR:-/tmp/janus}"
export JANUS_LIB_DIR="${JANUS_LIB_DIR:-$(ls -d /usr/lib/*/janus | head -1)}"
export JANUS_DEBUG_LEVEL="${JANUS_DEBUG_LEVEL:-4}"
export JANUS_SESSION_TIMEOUT="${JANUS_SESSION_TIMEOUT:-60}"
export JANUS_EVENT_LOOPS="${JANUS_EVENT_LOOPS:-$(nproc)}"
export JANUS_RTP_PORT_RANGE="${JANUS_RTP_PORT_RANGE:-20000-20199}"
export JANUS_PLUGIN_RTP_PORT_RANGE="${JANUS_PLUGIN_RTP_PORT_RANGE:-10000-10999}"
export JANUS_HTTP_PORT="${JANUS_HTTP_PORT:-8088}"
export JANUS_HTTP_IP="${JANUS_HTTP_IP:-0.0.0.0}"
export JANUS_ADMIN_PORT="${JANUS_ADMIN_PORT:-7088}"
export JANUS_ADMIN_IP="${JANUS_ADMIN_IP:-0.0.0.0}"
export JANUS_EVENTS_BACKEND="${JANUS_EVENTS_BACKEND:-}"
if [ -n "$JANUS_EVENTS_BACKEND" ]; then
  : "${JANUS_EVENTS_SECRET:?set JANUS_EVENTS_SECRET (JANUS_EVENTS_BACKEND is set)}"
  export JANUS_EVENTS_ENABLED=true
else
  export JANUS_EVENTS_ENABLED=false JANUS_EVENTS_SECRET=""
fi

mkdir -p "$JANUS_CONFIG_DIR"
for template in "$TEMPLATES"/*.jcfg; do
  envsubst < "$template" > "$JANUS_CONFIG_DIR/$(basename "$template")"
done

set -- janus -C "$JANUS_CONFIG_DIR/janus.jcfg" -F "$JANUS_CONFIG_DIR" -o "$@"
if [ -n "${JANUS_PUBLIC_IP:-}" ]; then
  set -- "$@" --nat-1-1="$JANUS_PUBLIC_IP" --keep-private-host
fi
exec "$@"
