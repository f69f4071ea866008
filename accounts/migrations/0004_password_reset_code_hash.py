"""Password-reset codes are stored as an HMAC-SHA256 (``token_hash``), no longer in clear (``token``).

Codes in flight at deploy time (issued, unused, unexpired) are hashed, not voided: a user who
asked for a code a minute before the deploy can still use it, and once this migration has run no
clear code is left in the table. Expired or used codes are simply dropped. Going back cannot
recover a code from its hash, so the reverse migration leaves every device without a code (users
ask for a new one)."""

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone
from django.utils.crypto import salted_hmac

# Frozen copy of accounts.models.RESET_CODE_HASH_SALT / reset_code_hash at the time of writing.
SALT = "accounts.PasswordResetDevice.token_hash"


def hash_codes_in_flight(apps, schema_editor):
    Device = apps.get_model("accounts", "PasswordResetDevice")
    live = Device.objects.using(schema_editor.connection.alias).exclude(token=None).exclude(token="")
    for device in live.filter(valid_until__gt=timezone.now()).only("pk", "user_id", "token"):
        digest = salted_hmac(SALT, f"{device.user_id}:{device.token}", secret=settings.SECRET_KEY, algorithm="sha256")
        Device.objects.filter(pk=device.pk).update(token_hash=digest.hexdigest())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_password_reset_throttle"),
    ]

    operations = [
        migrations.AddField(
            model_name="passwordresetdevice",
            name="token_hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.RunPython(hash_codes_in_flight, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(
            model_name="passwordresetdevice",
            name="token",
        ),
    ]
