import factory

from accounts.models import User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.LazyAttribute(lambda u: u.username.title())

    # Hashed before the insert (``UserFactory(password="...")`` is hashed too): setting a password
    # on a saved user ends its sessions (User.save), which a new user has no need of.
    password = factory.django.Password(PASSWORD)
