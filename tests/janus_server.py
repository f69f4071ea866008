"""The ``janus_server`` fixture's machinery: a real Janus (Debian's ``janus``) on loopback.

``janus_available()`` says whether the binary and its plugins are installed; ``janus_server``
(in conftest.py) starts one Janus per test module with the repository's configuration
(``deploy/janus/*.jcfg``, rendered by ``deploy.janus_config.run_janus`` with free ports, fresh
secrets and a temporary directory) and yields its ``JanusInstance``; tests that use it skip when
Janus is absent (``scripts/install_media.sh`` installs it; CI's ``.ci/run`` does).
``janus_settings(settings, instance)`` points Django's settings at it; ``janus_client(instance)``
is our backend's client of it, with its API and Admin API secrets.
"""

from __future__ import annotations

from deploy.janus_config import JanusInstance, janus_binary, janus_lib_dir
from rooms.media.janus import JanusClient, JanusConfig


def janus_available() -> bool:
    if janus_binary() is None:
        return False
    try:
        janus_lib_dir()
    except FileNotFoundError:
        return False
    return True


def janus_settings(settings, instance: JanusInstance) -> None:
    """Point the Django ``settings`` fixture at ``instance`` (the media backend becomes Janus)."""
    for name, value in instance.as_settings().items():
        setattr(settings, name, value)


def janus_client(instance: JanusInstance, **overrides) -> JanusClient:
    """Our backend's Janus client for ``instance`` (``overrides``: other ``JanusConfig`` fields)."""
    values = {
        "url": instance.url,
        "api_secret": instance.api_secret,
        "admin_url": instance.admin_url,
        "admin_secret": instance.admin_secret,
        "admin_key": instance.admin_key,
        **overrides,
    }
    return JanusClient(JanusConfig(**values))
