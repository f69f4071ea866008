"""Mastodon.py (the Python library most Mastodon scripts use) against a real server process."""

from __future__ import annotations

import pytest
from mastodon import Mastodon, MastodonUnauthorizedError

from mastodon_api.tests.live import PASSWORD, consent_in_session, mastodon_server, oob_code, register

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCOPES = ["read", "write", "follow", "push"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, django_db_setup, django_db_blocker):
    """One server for the module (starting one costs seconds); each test uses its own accounts."""
    with django_db_blocker.unblock(), mastodon_server(tmp_path_factory.mktemp("mastodon_py")) as base:
        yield base


def test_mastodon_py_registers_logs_in_and_reads_the_instance(server):
    register(server, "ada")
    client_id, client_secret = Mastodon.create_app("mastodon.py test", scopes=SCOPES, api_base_url=server)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server, version_check_mode="created")
    token = api.log_in("ada@example.com", PASSWORD, scopes=SCOPES, allow_http=True)  # the password grant
    assert token
    me = api.account_verify_credentials()
    assert me.username == "ada" and me.acct == "ada"
    assert me.source.privacy == "public"

    instance = api.instance_v2()
    assert instance.configuration.statuses.max_characters == 280
    assert api.verify_minimum_version("4.0.0", cached=True)
    nodeinfo = api.instance_nodeinfo()
    assert nodeinfo.software.name == "twitterclone"

    app = api.app_verify_credentials()
    assert app.name == "mastodon.py test"

    api.revoke_access_token(allow_http=True)
    with pytest.raises(MastodonUnauthorizedError):
        api.account_verify_credentials()


def test_mastodon_py_authorization_code_flow_with_the_oob_page(server):
    register(server, "grace")
    client_id, client_secret = Mastodon.create_app("oob app", scopes=SCOPES, api_base_url=server)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server)
    url = api.auth_request_url(scopes=SCOPES, force_login=True, lang="en", allow_http=True)
    code = oob_code(consent_in_session(url, "grace"))
    api.log_in(code=code, scopes=SCOPES, allow_http=True)
    assert api.account_verify_credentials().username == "grace"


def test_mastodon_py_password_grant_refuses_a_wrong_password(server):
    from mastodon import MastodonIllegalArgumentError

    register(server, "eve")
    client_id, client_secret = Mastodon.create_app("x", scopes=["read"], api_base_url=server)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server)
    with pytest.raises(MastodonIllegalArgumentError):
        api.log_in("eve", "not-the-password", scopes=["read"], allow_http=True)
