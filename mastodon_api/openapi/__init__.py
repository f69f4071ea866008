"""The Mastodon client API in our OpenAPI schema (``/api/v1/schema/``): entities as components
(``components``), every operation as data (``operations``), added by a drf-spectacular
post-processing hook (``hook.add_mastodon_operations``). The views carry no annotations."""
