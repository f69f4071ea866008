"""Routes of the Mastodon client API (included by twitterclone/urls.py at the root).

Every route also answers with a trailing slash, as Mastodon's do (Mastodon.py asks for
``/api/v1/instance/``)."""

from django.urls import re_path

from .views import accounts, instance, oauth

app_name = "mastodon_api"


def route(path: str, view, name: str | None = None):
    return re_path(rf"^{path}/?$", view, name=name)


urlpatterns = [
    route("api/v1/apps", oauth.AppsView.as_view(), name="apps"),
    route("api/v1/apps/verify_credentials", oauth.AppVerifyCredentialsView.as_view(), name="app-verify"),
    route("api/v1/instance", instance.InstanceV1View.as_view(), name="instance-v1"),
    route("api/v2/instance", instance.InstanceV2View.as_view(), name="instance-v2"),
    route("api/v1/accounts/verify_credentials", accounts.VerifyCredentialsView.as_view(), name="verify-credentials"),
    route("oauth/login", oauth.LoginView.as_view(), name="login"),
    route("oauth/authorize", oauth.AuthorizeView.as_view(), name="authorize"),
    route("oauth/token", oauth.MastodonTokenView.as_view(), name="token"),
    route("oauth/revoke", oauth.MastodonRevokeView.as_view(), name="revoke"),
    route(r"\.well-known/oauth-authorization-server", oauth.authorization_server_metadata, name="oauth-metadata"),
    route(r"\.well-known/nodeinfo", instance.nodeinfo_links, name="nodeinfo-links"),
    route(r"nodeinfo/2\.0", instance.nodeinfo, name="nodeinfo"),
]
