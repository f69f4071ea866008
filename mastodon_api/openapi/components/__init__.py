"""Mastodon's entities as OpenAPI component schemas, as this server sends them
(``mastodon_api/presenters.py``, ``entities.py`` and the views), named after
https://docs.joinmastodon.org/entities/ with a ``Mastodon`` prefix so that they never collide with
our own components (``Notification`` is ours, ``MastodonNotification`` Mastodon's).

``required`` lists what every answer carries; fields that only some answers have (the viewer's
``favourited`` on a status, for a request with a user) are optional.

One module per area (``accounts``, ``statuses``, ``oauth``, ``server``); the helpers that build
them (``ref``, ``array``, ``obj``, ...) are in ``_base`` and exported here.
"""

from __future__ import annotations

from ._base import (
    BOOLEAN,
    DATETIME,
    ID,
    INTEGER,
    NOTIFICATION_TYPES,
    STRING,
    URL,
    VISIBILITIES_OUT,
    Schema,
    array,
    empty_array,
    nullable,
    obj,
    ref,
)
from .accounts import ACCOUNT, CREDENTIAL_ACCOUNT, FIELD, PREFERENCES, RELATIONSHIP
from .oauth import APPLICATION, AUTHORIZATION_SERVER_METADATA, CREDENTIAL_APPLICATION, TOKEN
from .server import ERROR, INSTANCE_V1, INSTANCE_V2, NODEINFO, NODEINFO_LINKS
from .statuses import (
    CONTEXT,
    DELETED_STATUS,
    MARKER,
    MARKERS,
    NOTIFICATION,
    SEARCH,
    STATUS,
    STATUS_EDIT,
    STATUS_MENTION,
    STATUS_SOURCE,
    STATUS_TAG,
    TAG,
)

__all__ = [
    "BOOLEAN",
    "COMPONENTS",
    "DATETIME",
    "FIELD",
    "ID",
    "INTEGER",
    "MARKER",
    "NOTIFICATION_TYPES",
    "STATUS_MENTION",
    "STATUS_TAG",
    "STRING",
    "URL",
    "VISIBILITIES_OUT",
    "Schema",
    "array",
    "empty_array",
    "nullable",
    "obj",
    "ref",
]

COMPONENTS: dict[str, Schema] = {
    "MastodonAccount": ACCOUNT,
    "MastodonCredentialAccount": CREDENTIAL_ACCOUNT,
    "MastodonStatus": STATUS,
    "MastodonDeletedStatus": DELETED_STATUS,
    "MastodonStatusEdit": STATUS_EDIT,
    "MastodonStatusSource": STATUS_SOURCE,
    "MastodonMarkers": MARKERS,
    "MastodonContext": CONTEXT,
    "MastodonNotification": NOTIFICATION,
    "MastodonRelationship": RELATIONSHIP,
    "MastodonTag": TAG,
    "MastodonSearch": SEARCH,
    "MastodonApplication": APPLICATION,
    "MastodonCredentialApplication": CREDENTIAL_APPLICATION,
    "MastodonToken": TOKEN,
    "MastodonError": ERROR,
    "MastodonPreferences": PREFERENCES,
    "MastodonInstanceV1": INSTANCE_V1,
    "MastodonInstance": INSTANCE_V2,
    "MastodonNodeInfoLinks": NODEINFO_LINKS,
    "MastodonNodeInfo": NODEINFO,
    "MastodonAuthorizationServerMetadata": AUTHORIZATION_SERVER_METADATA,
}
