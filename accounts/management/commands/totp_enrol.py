"""``manage.py totp_enrol <username>``: gives a staff account a TOTP device for the admin login."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.two_factor import totp_device_enrol
from twitterclone.errors import DomainError


class Command(BaseCommand):
    help = (
        "Creates a TOTP (authenticator app) device for a staff account and prints its otpauth:// "
        "provisioning URI: open it, or turn it into a QR code, with the user's authenticator app. "
        "The admin then asks for the app's 6-digit code at login (always when ADMIN_REQUIRE_2FA is on, "
        "the default with DEBUG=false). With --replace, the old device is deleted first."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--replace", action="store_true", help="Replace the account's existing device.")
        parser.add_argument("--name", default="authenticator", help="A name for the device (shown in the admin).")

    def handle(self, *args, username: str, replace: bool = False, name: str = "authenticator", **options):
        user = User.objects.by_username(username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            device = totp_device_enrol(user=user, name=name, replace=replace)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"TOTP device '{device.name}' enrolled for {user.username}."))
        self.stdout.write("Provisioning URI (a secret: give it to the user only):")
        self.stdout.write(device.config_url)
