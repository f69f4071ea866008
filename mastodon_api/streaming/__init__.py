"""Mastodon's streaming API over WebSocket (``/api/v1/streaming``) and server-sent events
(``/api/v1/streaming/user`` ...), fed by the channel-layer groups our own live pushes use
(docs/mastodon.md, "Streaming")."""
