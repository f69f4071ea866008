"""Moderation writes: reports from users, and every moderator action.

Each moderator action (suspend, unsuspend, hide, unhide, delete, end room, dismiss, profile edit)
goes through one function here, which checks the moderator's permission, changes the target,
resolves the open reports it settles and appends one ``ModerationAction`` to the log, all in one
transaction; socket and other side effects leave only after commit. The admin calls these; it
never writes the models itself.

Modules: ``reports`` (reports from users), ``users`` (suspensions, profile edits), ``content``
(tweets and rooms), ``queue`` (the report queue) and ``_log`` (the log and the shared checks).
"""

from ._log import SNAPSHOT_MAX_LENGTH
from .content import API_REASON, room_end_by_moderator, tweet_hide, tweet_remove, tweet_unhide
from .queue import ReportAction, report_act, report_available_actions, report_dismiss, report_subject_user_id
from .reports import COMMENT_MAX_LENGTH, report_create
from .users import MODERATOR_EDITABLE_PROFILE_FIELDS, user_profile_edit_record, user_suspend, user_unsuspend

__all__ = [
    "API_REASON",
    "COMMENT_MAX_LENGTH",
    "MODERATOR_EDITABLE_PROFILE_FIELDS",
    "SNAPSHOT_MAX_LENGTH",
    "ReportAction",
    "report_act",
    "report_available_actions",
    "report_create",
    "report_dismiss",
    "report_subject_user_id",
    "room_end_by_moderator",
    "tweet_hide",
    "tweet_remove",
    "tweet_unhide",
    "user_profile_edit_record",
    "user_suspend",
    "user_unsuspend",
]
