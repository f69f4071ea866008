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


def _logged_in(server: str, username: str) -> Mastodon:
    register(server, username)
    client_id, client_secret = Mastodon.create_app(f"{username} app", scopes=SCOPES, api_base_url=server)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server)
    api.log_in(username, PASSWORD, scopes=SCOPES, allow_http=True)
    return api


def test_mastodon_py_posts_follows_pages_favourites_and_reads_notifications(server):
    ada, bob = _logged_in(server, "ada2"), _logged_in(server, "bob2")
    bob_account = bob.account_verify_credentials()
    relationship = ada.account_follow(bob_account.id)
    assert relationship.following is True
    posted = [bob.status_post(f"post number {n} #mastopy") for n in range(5)]
    assert posted[0].account.acct == "bob2" and posted[0].tags[0].name == "mastopy"

    page = ada.timeline_home(limit=2)
    assert [s.id for s in page] == [posted[4].id, posted[3].id]
    older = ada.fetch_next(page)
    assert [s.id for s in older] == [posted[2].id, posted[1].id]
    newer = ada.fetch_previous(older)
    assert [s.id for s in newer] == [posted[4].id, posted[3].id]
    everything = ada.fetch_remaining(ada.timeline_home(limit=2))
    assert [s.id for s in everything] == [s.id for s in reversed(posted)]

    favourited = ada.status_favourite(posted[0].id)
    assert favourited.favourited is True and favourited.favourites_count == 1
    ada.status_reblog(posted[1].id)
    reply = ada.status_post("@bob2 a reply", in_reply_to_id=posted[2].id)
    assert reply.in_reply_to_id == posted[2].id and reply.in_reply_to_account_id == bob_account.id

    notifications = bob.notifications()
    assert [n.type for n in notifications] == ["mention", "reblog", "favourite", "follow"]
    assert notifications[2].status.id == posted[0].id
    assert [n.type for n in bob.notifications(types=["follow"])] == ["follow"]
    bob.notifications_dismiss(notifications[0].id)
    assert len(bob.notifications()) == 3

    assert [s.id for s in ada.timeline_hashtag("mastopy", limit=5)][:1] == [posted[4].id]
    assert ada.status_context(reply.id).ancestors[0].id == posted[2].id
    results = ada.search_v2("number", result_type="statuses")
    assert {s.id for s in results.statuses} == {s.id for s in posted}
    assert ada.account_relationships(bob_account.id)[0].following is True
    ada.status_bookmark(posted[3].id)
    assert [s.id for s in ada.bookmarks()] == [posted[3].id]
    assert [s.id for s in ada.favourites()] == [posted[0].id]
    assert bob.status_delete(posted[4].id).id == posted[4].id
    assert posted[4].id not in [s.id for s in ada.timeline_home()]


def test_mastodon_py_edits_saves_markers_and_updates_the_profile(server):
    ada, bob = _logged_in(server, "ada3"), _logged_in(server, "bob3")
    status = ada.status_post("first draft")
    edited = ada.status_update(status.id, "second draft")
    assert edited.id == status.id and edited.edited_at is not None and "second draft" in edited.content
    history = ada.status_history(status.id)
    assert ["first draft" in h.content for h in history] == [True, False]
    assert ada.status_source(status.id).text == "second draft"
    bob.status_favourite(status.id)
    assert [a.acct for a in ada.status_favourited_by(status.id)] == ["bob3"]
    bob.status_reblog(status.id)
    assert [a.acct for a in ada.status_reblogged_by(status.id)] == ["bob3"]

    saved = ada.markers_set(["home"], [status.id])  # form fields home[last_read_id]
    assert saved.home.last_read_id == str(status.id) and saved.home.version == 0
    assert ada.markers_set(["home"], [status.id]).home.version == 1
    assert ada.markers_get(["home", "notifications"]).home.last_read_id == str(status.id)

    me = ada.account_update_credentials(
        display_name="Ada Three", note="Hello", fields=[("Website", "https://ada.example")], bot=False
    )  # Mastodon.py sends bot=False as "0"
    assert me.display_name == "Ada Three" and me.source.note == "Hello"
    assert me.source.fields[0].value == "https://ada.example"
    assert ada.account_verify_credentials().display_name == "Ada Three"


def test_mastodon_py_stream_user_receives_an_update_and_a_notification(server):
    import queue

    from mastodon import StreamListener

    ada, bob = _logged_in(server, "ada3"), _logged_in(server, "bob3")
    ada.account_follow(bob.account_verify_credentials().id)
    events: queue.Queue = queue.Queue()

    class Listener(StreamListener):
        def on_update(self, status):
            events.put(("update", status))

        def on_notification(self, notification):
            events.put(("notification", notification))

    handle = ada.stream_user(Listener(), run_async=True, reconnect_async=False)
    try:
        import time

        time.sleep(1.0)  # the stream's request reaches the server and joins its groups
        posted = bob.status_post("live from bob")
        kind, status = events.get(timeout=20)
        assert kind == "update" and status.id == posted.id and status.account.acct == "bob3"
        mine = ada.status_post("my own post")
        bob.status_favourite(mine.id)
        seen = [events.get(timeout=20) for _ in range(2)]
        assert ("update", mine.id) in [(k, e.id) for k, e in seen if k == "update"]
        notification = next(e for k, e in seen if k == "notification")
        assert notification.type == "favourite" and notification.status.id == mine.id
    finally:
        handle.close()


def test_event_streams_refuse_bad_requests_in_json(server):
    import httpx

    assert httpx.get(f"{server}/api/v1/streaming/user").status_code == 401
    response = httpx.get(f"{server}/api/v1/streaming/public", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401 and response.json() == {"error": "The access token is invalid"}
    ada = _logged_in(server, "ada4")
    headers = {"Authorization": f"Bearer {ada.access_token}"}
    assert httpx.get(f"{server}/api/v1/streaming/hashtag", headers=headers).status_code == 422
    assert httpx.post(f"{server}/api/v1/streaming/user", headers=headers).status_code == 405
    assert httpx.get(f"{server}/api/v1/streaming/nonsense", headers=headers).status_code == 404
    with httpx.stream("GET", f"{server}/api/v1/streaming/public", headers=headers, timeout=10) as stream:
        assert stream.status_code == 200 and stream.headers["content-type"] == "text/event-stream"
        assert next(stream.iter_lines()) == ":)"
