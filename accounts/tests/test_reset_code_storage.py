"""Password-reset codes are kept only as a keyed hash (HMAC-SHA256, key from SECRET_KEY)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts import services
from accounts.models import PasswordResetDevice, reset_code_hash
from accounts.tests.factories import UserFactory
from accounts.tests.mail import mailed_reset_code

NEW_PASSWORD = "a new long passphrase 42"


@pytest.fixture
def erin(db, settings):
    settings.RATE_LIMITS_ENABLED = False
    return UserFactory(username="erin", email="erin@example.com")


def test_the_database_holds_a_keyed_hash_of_the_code_never_the_code(erin):
    services.password_reset_code_send(email=erin.email)
    code = mailed_reset_code(erin.email)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {PasswordResetDevice._meta.db_table}")
        row = cursor.fetchone()
        columns = [column[0] for column in cursor.description]
    assert "token" not in columns
    assert not any(code in str(value) for value in row), row
    device = PasswordResetDevice.objects.get(user=erin)
    assert device.token_hash == reset_code_hash(user_id=erin.pk, code=code)
    assert len(device.token_hash) == 64
    services.password_reset_confirm(email=erin.email, code=code, new_password=NEW_PASSWORD)
    erin.refresh_from_db()
    assert erin.check_password(NEW_PASSWORD)
    assert PasswordResetDevice.objects.get(user=erin).token_hash == ""  # used: nothing left to match


def test_the_hash_depends_on_the_key_and_the_user(erin, settings):
    other = UserFactory(username="olga")
    same = reset_code_hash(user_id=erin.pk, code="123456")
    assert reset_code_hash(user_id=other.pk, code="123456") != same
    settings.SECRET_KEY = "another key, another hash" * 2
    assert reset_code_hash(user_id=erin.pk, code="123456") != same


def test_a_copy_of_the_table_does_not_give_the_code(erin):
    """What someone with the table but not SECRET_KEY can do: hash every 6-digit code with an
    unkeyed SHA-256 (or the key-less HMAC). None of them is the stored value."""
    import hashlib

    services.password_reset_code_send(email=erin.email)
    code = mailed_reset_code(erin.email)
    stored = PasswordResetDevice.objects.get(user=erin).token_hash
    guesses = {hashlib.sha256(text.encode()).hexdigest() for text in (code, f"{erin.pk}:{code}")}
    assert stored not in guesses


def test_a_code_issued_before_a_key_rotation_still_works_with_the_old_key_as_fallback(erin, settings):
    old_key = settings.SECRET_KEY
    services.password_reset_code_send(email=erin.email)
    code = mailed_reset_code(erin.email)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a brand new secret key " * 3, []
    assert not PasswordResetDevice.objects.get(user=erin).verify_token(code)  # old key forgotten
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert PasswordResetDevice.objects.get(user=erin).verify_token(code)
    assert not PasswordResetDevice.objects.get(user=erin).verify_token(code)  # once only


def test_a_wrong_or_expired_code_does_not_verify(erin):
    services.password_reset_code_send(email=erin.email)
    code = mailed_reset_code(erin.email)
    device = PasswordResetDevice.objects.get(user=erin)
    assert not device.verify_token(f"{(int(code) + 1) % 1_000_000:06d}")
    assert device.token_hash  # a wrong code does not use the right one up
    device.valid_until = timezone.now() - timedelta(seconds=1)
    device.save()
    assert not device.verify_token(code)


@pytest.mark.django_db(transaction=True)
def test_the_migration_hashes_codes_in_flight_and_drops_dead_ones(settings):
    executor = MigrationExecutor(connection)
    before, after = [("accounts", "0003_password_reset_throttle")], [("accounts", "0004_password_reset_code_hash")]
    try:
        executor.migrate(before)
        old = MigrationExecutor(connection).loader.project_state(before).apps
        Device, User = old.get_model("accounts", "PasswordResetDevice"), old.get_model("accounts", "User")
        live_user = User.objects.create(username="live", email="live@example.com")
        dead_user = User.objects.create(username="dead", email="dead@example.com")
        now = timezone.now()
        Device.objects.create(
            user=live_user, name="password reset", token="314159", valid_until=now + timedelta(minutes=5)
        )
        Device.objects.create(
            user=dead_user, name="password reset", token="271828", valid_until=now - timedelta(minutes=1)
        )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    live = PasswordResetDevice.objects.get(user_id=live_user.pk)
    dead = PasswordResetDevice.objects.get(user_id=dead_user.pk)
    assert live.token_hash == reset_code_hash(user_id=live_user.pk, code="314159")
    assert dead.token_hash == ""
    assert not live.verify_token("271828")
    assert live.verify_token("314159")
