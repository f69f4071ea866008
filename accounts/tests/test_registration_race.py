import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_racing_registrations_of_one_name_in_two_cases_create_one_user(attempt):
    """Both requests pass the existence check at once; the database constraint decides, and the
    loser gets a 409 (not a 500)."""
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def register(index: int) -> None:
        try:
            barrier.wait()
            name = "RaceName" if index % 2 else "racename"
            response = APIClient().post(
                "/api/v1/auth/register",
                {"username": name, "email": f"race{index}@example.com", "password": PASSWORD},
                format="json",
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 7
    assert User.objects.filter(username__iexact="racename").count() == 1
