"""Run as a script by test_sqlite_concurrency: concurrent writers on a file SQLite database
configured by the settings alone (``DATABASE_URL=sqlite:///...``). Prints a JSON report."""

from __future__ import annotations

import json
import os
import sys
import threading
import time

THREADS = 8
ROUNDS = 8  # 64 joins: under ROOM_MAX_LISTENERS


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twitterclone.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # test users only
    from django.core.management import call_command
    from django.db import connection, connections, transaction

    call_command("migrate", verbosity=0)
    from accounts.tests.factories import UserFactory
    from rooms import services
    from rooms.models import Participant
    from rooms.tests.factories import live_room

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal_mode = cursor.fetchone()[0]
        cursor.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        cursor.execute("INSERT INTO counter (id, n) VALUES (1, 0)")
    room = live_room()
    users = [UserFactory() for _ in range(THREADS * ROUNDS)]
    errors: list[str] = []
    start = threading.Barrier(THREADS)

    def writer(index: int) -> None:
        try:
            start.wait()
            for round_ in range(ROUNDS):
                try:
                    # A read, then a write, in one transaction: the pattern that fails at once with
                    # "database is locked" when the transaction began DEFERRED.
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.execute("SELECT n FROM counter WHERE id = 1")
                        (n,) = cursor.fetchone()
                        time.sleep(0.001)
                        cursor.execute("UPDATE counter SET n = %s WHERE id = 1", [n + 1])
                    services.participant_join(room=room, user=users[index * ROUNDS + round_])
                except Exception as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM counter WHERE id = 1")
        (count,) = cursor.fetchone()
    report = {
        "journal_mode": journal_mode,
        "transaction_mode": connection.transaction_mode,
        "counter": count,
        "joined": Participant.objects.filter(room=room).exclude(user=room.host).count(),
        "expected": THREADS * ROUNDS,
        "errors": sorted(set(errors))[:5],
        "error_count": len(errors),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    sys.exit(main())
