"""Two-factor devices for staff: the TOTP device (django-otp's otp_totp) the admin login asks for."""

from __future__ import annotations

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from twitterclone.errors import Conflict, InvalidInput

from .models import User


def totp_device_enrol(*, user: User, name: str = "authenticator", replace: bool = False) -> TOTPDevice:
    """Creates a confirmed TOTP device (a new random secret) for a staff account and returns it;
    ``device.config_url`` is the otpauth:// provisioning URI for an authenticator app.

    Only staff accounts log into the admin, so only they get one (InvalidInput otherwise). An
    account has one TOTP device: with ``replace`` (a lost phone) the old one is deleted and its
    codes stop working; without it an existing device is a Conflict."""
    if not user.is_staff:
        raise InvalidInput(f"{user.username} is not staff: only staff accounts log into the admin.")
    with transaction.atomic():
        existing = TOTPDevice.objects.select_for_update().filter(user=user)
        if existing.exists():
            if not replace:
                raise Conflict(f"{user.username} already has a TOTP device; use --replace to issue a new one.")
            existing.delete()
        return TOTPDevice.objects.create(user=user, name=name, confirmed=True)
