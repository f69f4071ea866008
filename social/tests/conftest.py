from tweets.tests.conftest import _clean_feeds, post  # noqa: F401 - shared fixtures
