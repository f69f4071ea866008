"""Development on SQLite: concurrent writers (room joins from socket threads, runserver threads)
wait for the write lock instead of failing with "database is locked" (settings: WAL,
``transaction_mode`` IMMEDIATE, a busy timeout). On a file database, as ``./dev.sh`` uses, in a
process of its own configured by ``DATABASE_URL`` alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow


def test_concurrent_writers_on_a_file_sqlite_database_all_succeed(tmp_path: Path):
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'dev.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-m", "twitterclone.tests.sqlite_writers"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["journal_mode"] == "wal" and report["transaction_mode"] == "IMMEDIATE", report
    assert report["error_count"] == 0, report
    assert report["counter"] == report["expected"], report  # no lost update either
    assert report["joined"] == report["expected"], report
