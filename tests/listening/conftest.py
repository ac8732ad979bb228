# The fake Mastodon instance and the fake-clock fetcher, for every listening test module.
from tests.listening.test_mastodon import fakes, fetcher  # noqa: F401
