import factory

from accounts.tests.factories import UserFactory
from tweets.models import Tweet


class TweetFactory(factory.django.DjangoModelFactory):
    """A plain tweet written straight to the database (no counters, no parsing): for
    tests that need data, not for tests of the services."""

    class Meta:
        model = Tweet

    author = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"tweet number {n}")
