#!/usr/bin/env bash
# Installs everything into .venv, migrates, and serves the API on http://localhost:8000.
# With no environment it runs on embedded defaults (SQLite, in-memory channel layer, eager
# Celery, mail printed here). Set DATABASE_URL / REDIS_URL to use PostgreSQL / Redis.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv requirements.txt

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput --verbosity 0

port="${PORT:-8000}"
if [ -n "${REDIS_URL:-}" ] && [ "${CELERY_TASK_ALWAYS_EAGER:-}" != "true" ]; then
  .venv/bin/celery -A twitterclone worker --beat --loglevel INFO --concurrency 2 &
  trap 'kill $! 2>/dev/null || true' EXIT
fi
cat <<MSG

  twitterclone is up:
    API        http://localhost:${port}/api/v1/
    API docs   http://localhost:${port}/api/v1/docs/   (OpenAPI schema: /api/v1/schema/)
    Admin      http://localhost:${port}/admin/         (create a login: .venv/bin/python manage.py createsuperuser)
    Health     http://localhost:${port}/healthz (liveness)   http://localhost:${port}/readyz (readiness)

MSG
exec .venv/bin/daphne -b "${HOST:-0.0.0.0}" -p "$port" twitterclone.asgi:application
