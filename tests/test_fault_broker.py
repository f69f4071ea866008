"""The Celery broker is down while the server runs, then comes back.

A real daphne server publishes to a *private* redis-server used only as the Celery broker
(``CELERY_BROKER_URL``), which is not running at first; the pytest PostgreSQL test database is
shared with the test. While the broker is down, a password reset for an existing email answers
exactly as for an unknown one, and a room start answers 200 with the room live: their tasks wait
in the outbox. Once the broker is up, a real Celery worker and ``manage.py drain_outbox`` deliver
them: the reset mail is sent once (and its code works), every follower gets one ``room_live``
notification, and draining again sends nothing more.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from notifications.models import Notification
from outbox.models import PendingTask
from social.models import Follow
from tests.server import ROOT, base_env, database_url_for_tests, run_celery_worker, run_server, wait_until
from tests.services import PrivateRedis

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
    pytest.mark.timeout(120),
]


def mails(folder: Path) -> list[str]:
    """The messages the file mail backend wrote (one file per connection, messages split by a line of dashes)."""
    texts = [path.read_text() for path in sorted(folder.glob("*.log"))]
    return [part for text in texts for part in text.split("-" * 79) if "Subject:" in part]


def drain(env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "drain_outbox", "--all"],
        cwd=ROOT,
        env=base_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_with_the_broker_down_requests_succeed_and_their_tasks_are_delivered_once_it_is_back(tmp_path):
    broker = PrivateRedis(tmp_path / "broker")  # a free port, nothing listening yet
    outbox_mail = tmp_path / "mail"
    env = {
        "DATABASE_URL": database_url_for_tests(),
        "REDIS_URL": "",
        "CELERY_BROKER_URL": broker.url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_URL": f"filemail:///{outbox_mail}",
        "DB_CONN_MAX_AGE": "0",
        "RATE_LIMITS_ENABLED": "false",
    }
    User.objects.create_user(username="frank", email="frank@example.com", password="x" * 20)
    host = User.objects.create_user(username="host", email="host@example.com", password="x" * 20)
    fans = [User.objects.create_user(username=f"fan{i}", email=f"fan{i}@example.com", password="!") for i in range(3)]
    Follow.objects.bulk_create(Follow(follower=fan, followee=host) for fan in fans)
    headers = {"Authorization": f"Bearer {AccessToken.for_user(host)}"}
    try:
        with run_server(env) as base:
            api = f"{base}/api/v1"
            started = time.monotonic()
            known = httpx.post(f"{api}/auth/password/reset", json={"email": "frank@example.com"}, timeout=20)
            unknown = httpx.post(f"{api}/auth/password/reset", json={"email": "nobody@example.com"}, timeout=20)
            assert (known.status_code, known.content) == (unknown.status_code, unknown.content) == (202, b"")
            room_id = httpx.post(f"{api}/rooms", json={"title": "no broker"}, headers=headers, timeout=20).json()["id"]
            start = httpx.post(f"{api}/rooms/{room_id}/start", headers=headers, timeout=20)
            assert start.status_code == 200, start.text
            assert httpx.get(f"{api}/rooms/{room_id}", headers=headers, timeout=20).json()["state"] == "live"
            assert time.monotonic() - started < 10  # no request waited on the broker for long
            # Every task is kept, each tried once: the first refusal stopped no later hook.
            pending = sorted(PendingTask.objects.values_list("task", "attempts"))
            assert pending == [
                ("accounts.tasks.send_password_reset_code", 1),
                ("accounts.tasks.send_password_reset_code", 1),
                ("notifications.tasks.fan_out_room_live", 1),
                ("rooms.tasks.participant_presence_check", 1),
            ]
            assert not Notification.objects.exists() and mails(outbox_mail) == []

            broker.start()
            with run_celery_worker(env):
                assert "published 4 pending tasks; 0 left" in drain(env)
                assert wait_until(lambda: len(mails(outbox_mail)) >= 1, 30), "the reset mail never came"
                assert wait_until(lambda: Notification.objects.filter(room_id=room_id).count() >= 3, 30)
                assert "published 0 pending tasks; 0 left" in drain(env)
                time.sleep(2)  # a duplicate would arrive now: there must be none
            sent = mails(outbox_mail)
            assert len(sent) == 1 and "To: frank@example.com" in sent[0]
            recipients = sorted(Notification.objects.filter(room_id=room_id).values_list("recipient_id", flat=True))
            assert recipients == sorted(fan.pk for fan in fans)
            code = re.search(r"code is (\d{6})", sent[0]).group(1)
            confirmed = httpx.post(
                f"{api}/auth/password/reset/confirm",
                json={"email": "frank@example.com", "code": code, "new_password": "a-brand-new-passphrase"},
                timeout=20,
            )
            assert confirmed.status_code == 204, confirmed.text
    finally:
        broker.stop()
