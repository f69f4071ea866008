#!/usr/bin/env bash
# Runs the whole test suite (lint included). Extra arguments go to pytest.
# Without DATABASE_URL / REDIS_URL the tests that need PostgreSQL or Redis are skipped;
# .ci/run sets both, so CI runs everything.
set -uo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv requirements-dev.txt
set +e

.venv/bin/ruff check . || exit 1
.venv/bin/ruff format --check . || exit 1
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null || {
  echo "Model changes without migrations: run manage.py makemigrations" >&2
  exit 1
}

.venv/bin/pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$status"
