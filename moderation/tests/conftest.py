import pytest
from django.test import Client

from accounts.tests.factories import UserFactory

from .factories import make_moderator


@pytest.fixture
def moderator(db):
    return make_moderator(username="mod")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root_admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client_for():
    """``admin_client_for(user)``: a Django test client logged into the admin as that user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def mod_client(moderator, admin_client_for):
    return admin_client_for(moderator)
