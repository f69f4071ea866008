#!/usr/bin/env bash
# The production layout on this machine, without Docker: nginx (Debian's package, installed with
# apt-get when missing) on http://localhost:${PORT:-8000} routes /ws/ and /api/v1/streaming to
# daphne and everything else to granian (WSGI; one process per core, a few threads each), with a
# Celery worker and Celery beat, all on the PostgreSQL and Redis of DATABASE_URL and REDIS_URL.
# Ctrl-C stops it all. Settings: docs/deployment.md.
set -euo pipefail
cd "$(dirname "$0")"
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/twitterclone}"
: "${REDIS_URL:?set REDIS_URL, e.g. redis://127.0.0.1:6379/0}"
source scripts/venv.sh
ensure_venv requirements.txt
bash scripts/install_nginx.sh >/dev/null

mkdir -p .serve
export DEBUG="${DEBUG:-false}"
# Plain HTTP on this machine: put TLS in front (or set SECURE_SSL_REDIRECT=true behind it).
export SECURE_SSL_REDIRECT="${SECURE_SSL_REDIRECT:-false}"
export CELERY_TASK_ALWAYS_EAGER=false
if [ -z "${SECRET_KEY:-}" ]; then
  # One key per checkout, kept in .serve/ (git-ignored), so tokens survive a restart.
  [ -s .serve/secret_key ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' >.serve/secret_key
  SECRET_KEY="$(cat .serve/secret_key)"
  export SECRET_KEY
fi

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput --verbosity 0
exec .venv/bin/python -m deploy.serve
