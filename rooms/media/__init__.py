"""The audio of the rooms on a media server (Janus), when ``JANUS_URL`` is set.

- ``janus``: the HTTP client (sessions, plugin requests, the Admin API);
- ``tokens``: the short-lived signed tokens clients use with Janus;
- ``backend``: settings, the client, per-room secrets;
- ``service``: what the room services ask of Janus (provision a room, tear it down, the media
  object a participant gets, keeping Janus in step with who may speak or listen, repairs).

Without ``JANUS_URL`` every room is peer to peer (the signalling of ``rooms.consumers``).
"""
