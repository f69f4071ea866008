"""PATCH /api/v1/accounts/update_credentials: Mastodon's profile form over our profile update
(``accounts.serializers.ProfileUpdateSerializer`` for the validation of ``PATCH /api/v1/users/me``,
then ``accounts.services.profile_update``).

Mastodon's names are mapped to ours: ``note`` is the bio, the profile fields named Website and
Location (``fields_attributes``) are our website and location. What we cannot store (a header
image, a locked or bot account, default post settings) is accepted only with the value we
already show, so that clients that send their whole form work, and is otherwise a 422: a change
that would silently not happen is refused."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services as accounts
from accounts.serializers import ProfileUpdateSerializer
from twitterclone.errors import InvalidInput

from .. import presenters
from ..base import MastodonView, nested_param, refuse_json_nulls
from ..selectors import last_status_at_for

# Mastodon flags we have no setting for, with the value every account has here.
FIXED_FLAGS = {"locked": False, "bot": False, "discoverable": True, "hide_collections": False, "indexable": True}
# Default post settings (``source[...]``) we have no setting for, with the values we show.
FIXED_SOURCE = {"privacy": ("public",), "sensitive": (False,), "language": ("", None)}
OUR_FIELDS = {"website": "website", "location": "location"}  # a profile field's name (any case) to ours
OUR_NAMES = {"display_name": "display_name", "bio": "note", "avatar": "avatar", "website": "fields_attributes"}
MAX_FIELDS = 4
TRUE, FALSE = ("true", "1", "on", "yes"), ("false", "0", "off", "no")


def _boolean(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE + FALSE:
        return value.strip().lower() in TRUE
    raise InvalidInput(f"Validation failed: {name} must be a boolean", fields={name: ["not a boolean"]})


def _refuse_unstorable(data: Any) -> None:
    for flag, ours in FIXED_FLAGS.items():
        value = data.get(flag)
        if value not in (None, "") and _boolean(value, flag) != ours:
            raise InvalidInput(
                f"Validation failed: {flag} cannot be changed here (every account is {flag}={str(ours).lower()})",
                fields={flag: ["not supported"]},
            )
    source = data.get("source")
    if source is not None and not isinstance(source, dict):
        raise InvalidInput("Validation failed: source must be an object", fields={"source": ["type"]})
    for key, allowed in FIXED_SOURCE.items():
        value = nested_param(data, "source", key)
        if value is None:
            continue
        if key == "sensitive":
            value = _boolean(value, "source[sensitive]")
        if value not in allowed:
            raise InvalidInput(
                f"Validation failed: source[{key}] cannot be changed here", fields={f"source[{key}]": ["not supported"]}
            )
    header = data.get("header")
    if header not in (None, ""):
        raise InvalidInput("Validation failed: header images are not supported", fields={"header": ["not supported"]})


def _fields_error(message: str, detail: str) -> InvalidInput:
    return InvalidInput(f"Validation failed: {message}", fields={"fields_attributes": [detail]})


def _profile_fields(data: Any) -> dict[str, str] | None:
    """Our website and location from ``fields_attributes`` (JSON object or list, or the form's
    ``fields_attributes[0][name]`` keys); None when not sent. Fields not sent are cleared, as
    Mastodon replaces the whole set."""
    raw = data.get("fields_attributes")
    entries: list[Any]
    if isinstance(raw, dict):
        entries = list(raw.values())
    elif isinstance(raw, list):
        entries = raw
    elif raw is None and hasattr(data, "keys"):
        indexes = sorted(
            {key[len("fields_attributes[") :].split("]")[0] for key in data if key.startswith("fields_attributes[")}
        )
        if not indexes:
            return None
        entries = [
            {
                "name": data.get(f"fields_attributes[{i}][name]", ""),
                "value": data.get(f"fields_attributes[{i}][value]", ""),
            }
            for i in indexes
        ]
    else:
        raise _fields_error("fields_attributes must be an object", "type")
    if len(entries) > MAX_FIELDS:
        raise _fields_error(f"at most {MAX_FIELDS} fields", "too many")
    result = dict.fromkeys(OUR_FIELDS.values(), "")
    seen: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict):  # a null or a string is no field (it was taken as an empty slot)
            raise _fields_error("each field is an object with name and value", "type")
        name, value = entry.get("name"), entry.get("value")
        if not isinstance(name, (str, type(None))) or not isinstance(value, (str, type(None))):
            raise _fields_error("a field's name and value are strings", "type")
        name, value = (name or "").strip(), (value or "").strip()
        if not name and not value:
            continue  # an empty slot of the client's form
        ours = OUR_FIELDS.get(name.lower())
        if ours is None or ours in seen:
            raise _fields_error("the profile fields here are Website and Location (once each)", name or "(no name)")
        seen.add(ours)
        result[ours] = value
    return result


def _profile_changes(data: Any) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for mastodon_name, ours in (("display_name", "display_name"), ("note", "bio"), ("avatar", "avatar")):
        if mastodon_name in data:
            changes[ours] = data.get(mastodon_name)
    if changes.get("avatar") == "":
        del changes["avatar"]  # an empty file input of a form: no new avatar
    fields = _profile_fields(data)
    if fields is not None:
        changes.update(fields)
    return changes


def _validated(request: Request, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes through the very serializer ``PATCH /api/v1/users/me`` uses."""
    if isinstance(request.data, QueryDict):
        payload: Any = QueryDict(mutable=True)
        for key, value in changes.items():
            payload[key] = value
    else:
        payload = changes
    serializer = ProfileUpdateSerializer(request.user, data=payload, partial=True)
    try:
        serializer.is_valid(raise_exception=True)
    except serializers.ValidationError as exc:
        details = exc.detail if isinstance(exc.detail, dict) else {"profile": exc.detail}
        fields = {OUR_NAMES.get(name, name): [str(m) for m in messages] for name, messages in details.items()}
        summary = "; ".join(f"{name}: {', '.join(messages)}" for name, messages in fields.items())
        raise InvalidInput(f"Validation failed: {summary}", fields=fields) from None
    return serializer.validated_data


class UpdateCredentialsView(MastodonView):
    """PATCH /api/v1/accounts/update_credentials (form, multipart with ``avatar``, or JSON):
    ``display_name``, ``note``, ``avatar``, ``fields_attributes`` (Website, Location), and the
    flags and ``source[...]`` we cannot store only with our values. Answers the CredentialAccount."""

    scopes = {"PATCH": "write:accounts"}

    def patch(self, request: Request) -> Response:
        data = request.data
        refuse_json_nulls(data, ("display_name", "note"))  # the rest take null as absent (the schema)
        _refuse_unstorable(data)
        changes = _validated(request, _profile_changes(data))
        with transaction.atomic():
            user = accounts.profile_update(user=request.user, data=changes)
        return Response(presenters.credential_account(request, user, last_status_at=last_status_at_for(user=user)))
