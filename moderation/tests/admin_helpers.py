"""What the admin tests share: the admin URLs, reports made directly, and posting actions."""

from moderation.models import Report

USERS = "/admin/accounts/user/"
TWEETS = "/admin/tweets/tweet/"
ROOMS = "/admin/rooms/room/"
REPORTS = "/admin/moderation/report/"
LOG = "/admin/moderation/moderationaction/"


def _report(reporter, **target):
    ((kind, obj),) = target.items()
    return Report.objects.create(
        reporter=reporter,
        target_type=kind,
        target_object_id=obj.pk,
        category="abuse",
        comment="please look",
        **{f"target_{kind}": obj},
    )


def _action(client, url, action, objects, **extra):
    data = {"action": action, "_selected_action": [str(o.pk) for o in objects], "index": "0", **extra}
    return client.post(url, data)


def _confirm(client, url, action, objects, reason):
    data = {"action": action, "_selected_action": [str(o.pk) for o in objects], "confirm": "yes", "reason": reason}
    return client.post(url, data)
