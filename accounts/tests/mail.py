"""Reading the password-reset code the way a user does: from the email (the database keeps only
its hash, ``accounts.models.PasswordResetDevice.token_hash``)."""

from __future__ import annotations

import re

from django.core import mail

CODE = re.compile(r"\breset code is (\d{6})\b")


def mailed_reset_codes() -> list[str]:
    """Every reset code mailed so far in this test (``django.core.mail.outbox``), oldest first."""
    return [match.group(1) for message in mail.outbox for match in CODE.finditer(message.body)]


def mailed_reset_code(to: str) -> str:
    """The code of the latest reset mail sent to ``to``."""
    sent = [message for message in mail.outbox if to.lower() in (address.lower() for address in message.to)]
    assert sent, f"no reset mail was sent to {to}"
    match = CODE.search(sent[-1].body)
    assert match, f"no reset code in the mail to {to}: {sent[-1].body!r}"
    return match.group(1)
