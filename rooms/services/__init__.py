"""Audio-room writes: the room life cycle, participants and their roles, socket presence.

Every change of a room or a participant goes through one of these functions. Each one locks
the room row first (``SELECT ... FOR UPDATE``), so the changes of one room are serialised and
limits hold under concurrency. Events reach sockets only after the transaction commits
(``rooms.events``). Rules, in short (docs/rooms.md has them in full):

- the creator is the host; only the host edits, deletes (while scheduled), starts and ends;
  a user with the ``rooms.change_room`` permission (a moderator) may also end a live room;
- the host makes listeners speakers or co-hosts and demotes them; co-hosts make listeners
  speakers and demote speakers; anyone may step down to listener; the host cannot be demoted;
- the host mutes co-hosts and speakers, co-hosts mute speakers; a host mute is lifted only by
  the host or a co-host, never by the muted speaker;
- when the host leaves, the longest-present co-host (preferring one with an open socket)
  becomes host; with no co-host the room ends.

Modules: ``lifecycle`` (rooms), ``participants`` (joining, hands, roles, mutes), ``presence``
(sockets and grace periods), ``_base`` (shared helpers and settings).
"""

from ._base import checks_run_in_celery, grace_seconds_for, max_cohosts, max_listeners, max_speakers
from .lifecycle import room_create, room_delete, room_end, room_end_unchecked, room_start, room_update
from .media import media_get
from .participants import (
    hand_lower,
    hand_raise,
    participant_join,
    participant_leave,
    participant_mute,
    participant_mute_lift,
    participants_remove_blocked,
    self_mute_set,
    speaker_add,
    speaker_remove,
)
from .presence import (
    connections_heartbeat,
    participant_connect,
    participant_disconnect,
    presence_check,
    presence_sweep,
)

__all__ = [
    "checks_run_in_celery",
    "connections_heartbeat",
    "grace_seconds_for",
    "hand_lower",
    "hand_raise",
    "max_cohosts",
    "max_listeners",
    "max_speakers",
    "media_get",
    "participant_connect",
    "participant_disconnect",
    "participant_join",
    "participant_leave",
    "participant_mute",
    "participant_mute_lift",
    "participants_remove_blocked",
    "presence_check",
    "presence_sweep",
    "room_create",
    "room_delete",
    "room_end",
    "room_end_unchecked",
    "room_start",
    "room_update",
    "self_mute_set",
    "speaker_add",
    "speaker_remove",
]
