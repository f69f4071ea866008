"""OAuth 2 for Mastodon clients: app registration, the login and consent pages, token and
revocation endpoints (django-oauth-toolkit underneath), and the authorization-server metadata."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import login, logout
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.views import AuthorizationView, RevokeTokenView, TokenView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.auth import user_can_authenticate
from accounts.services import auth_login
from twitterclone.errors import DomainError

from ..base import MastodonView
from ..scopes import all_scopes
from ..services import OOB_URI, client_app_create


def _app_json(app, *, client_secret: str | None = None) -> dict[str, Any]:
    uris = app.application.redirect_uris.split()
    data = {
        "id": str(app.pk),
        "name": app.application.name,
        "website": app.website or None,
        "scopes": app.scopes.split(),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        "vapid_key": "",
    }
    if client_secret is not None:
        data.update(client_id=app.application.client_id, client_secret=client_secret, client_secret_expires_at=0)
    return data


class AppsView(MastodonView):
    """POST /api/v1/apps: register a client (no token needed)."""

    anonymous_methods = ("POST",)

    def post(self, request: Request) -> Response:
        data = request.data
        redirect_uris: Any
        if hasattr(data, "getlist"):  # form bodies: redirect_uris, or redirect_uris[] repeated
            redirect_uris = data.getlist("redirect_uris[]") or data.get("redirect_uris")
            scopes = data.getlist("scopes[]") or data.get("scopes")
        else:
            redirect_uris, scopes = data.get("redirect_uris"), data.get("scopes")
        registered = client_app_create(
            name=data.get("client_name", ""),
            redirect_uris=redirect_uris,
            scopes=scopes,
            website=data.get("website"),
        )
        return Response(_app_json(registered.app, client_secret=registered.client_secret))


class AppVerifyCredentialsView(MastodonView):
    """GET /api/v1/apps/verify_credentials: the app of the token (any token of it, user or not)."""

    app_token_methods = ("GET",)

    def get(self, request: Request) -> Response:
        application = request.auth.application
        if application is None or not hasattr(application, "mastodon"):
            from rest_framework.exceptions import NotAuthenticated

            raise NotAuthenticated("The access token is invalid")
        return Response(_app_json(application.mastodon))


class LoginForm(forms.Form):
    login = forms.CharField(max_length=254, label="Username or email")
    password = forms.CharField(max_length=4096, widget=forms.PasswordInput)


class LoginView(View):
    """The sign-in page in front of the consent page: our accounts, our login rule."""

    template_name = "mastodon_api/login.html"

    def _next(self, request: HttpRequest) -> str:
        target = request.POST.get("next") or request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            return target
        return reverse("mastodon_api:authorize")

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": LoginForm(), "next": self._next(request)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LoginForm(request.POST)
        error = None
        if form.is_valid():
            try:
                user = auth_login(login=form.cleaned_data["login"], password=form.cleaned_data["password"])
            except DomainError as exc:
                error = exc.message
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return HttpResponseRedirect(self._next(request))  # our own host only (checked in _next)
        else:
            error = "Enter your username (or email) and password."
        context = {"form": form, "next": self._next(request), "error": error}
        return render(request, self.template_name, context, status=400 if error else 200)


class AuthorizeView(AuthorizationView):
    """GET/POST /oauth/authorize: consent for a signed-in user (else the login page first).

    With the out-of-band redirect URI the code is shown on a page; otherwise the browser is
    redirected to the app's registered URI with ``code`` and ``state``."""

    template_name = "mastodon_api/authorize.html"
    login_url = reverse_lazy("mastodon_api:login")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not user_can_authenticate(request.user):
            logout(request)  # suspended since signing in: sign in again (and be refused)
        return super().dispatch(request, *args, **kwargs)

    def redirect(self, redirect_to: str, application) -> HttpResponse:
        if redirect_to.startswith(OOB_URI):
            query = parse_qs(urlsplit(redirect_to).query)
            context = {
                "application": application,
                "code": query.get("code", [""])[0],
                "error": query.get("error", [""])[0],
                "error_description": query.get("error_description", [""])[0],
            }
            return render(self.request, "mastodon_api/oob.html", context, status=200 if context["code"] else 400)
        # The app's own registered schemes (http, https, or an app scheme such as tusky://).
        schemes = {urlsplit(uri).scheme for uri in application.redirect_uris.split()} if application else set()
        return OAuth2ResponseRedirect(redirect_to, sorted(schemes | {"http", "https"}))


def _as_json(response: HttpResponse) -> HttpResponse:
    """oauthlib's answers are JSON, but the errors it raises before choosing its headers (``URL
    query parameters are not allowed``) came without a Content-Type: Django's text/html."""
    response["Content-Type"] = "application/json"
    return response


def _unreadable_form(request: HttpRequest) -> JsonResponse | None:
    """OAuth's 400 ``invalid_request`` (RFC 6749, 5.2) for a body Django cannot read as a form (a
    charset other than UTF-8, a multipart body without a boundary, too many fields or files), or
    None. django-oauth-toolkit reads ``request.POST`` outside any handler of ours: Django's
    refusal there was its HTML "Bad Request (400)" page, which no OAuth client can read."""
    try:
        request.POST  # noqa: B018 (parsed here, and kept for the view)
    except (BadRequest, SuspiciousOperation, MultiPartParserError):
        description = "The request body is not a form Django can read (UTF-8, within the field and file limits)."
        return JsonResponse({"error": "invalid_request", "error_description": description}, status=400)
    return None


class MastodonTokenView(TokenView):
    """POST /oauth/token: django-oauth-toolkit's answer plus Mastodon's ``created_at``."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refusal = _unreadable_form(request)
        if refusal is not None:
            return refusal
        response = _as_json(super().post(request, *args, **kwargs))
        if response.status_code == 200:
            body = json.loads(response.content)
            body["created_at"] = int(timezone.now().timestamp())
            response.content = json.dumps(body).encode()
        return response


class MastodonRevokeView(RevokeTokenView):
    """POST /oauth/revoke: 200 ``{}`` once the token (of this client) is gone."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:
            return JsonResponse({})
        return _as_json(response)


@csrf_exempt  # a read-only JSON document: any other method is a 405, not a CSRF page
@require_GET
def authorization_server_metadata(request: HttpRequest) -> JsonResponse:
    """/.well-known/oauth-authorization-server (RFC 8414), as Mastodon 4.3 serves it."""
    base = request.build_absolute_uri("/")
    grants = ["authorization_code", "client_credentials"]
    if settings.MASTODON_PASSWORD_GRANT_ENABLED:
        grants.append("password")
    return JsonResponse(
        {
            "issuer": base,
            "service_documentation": request.build_absolute_uri("/api/v1/docs/"),
            "authorization_endpoint": request.build_absolute_uri(reverse("mastodon_api:authorize")),
            "token_endpoint": request.build_absolute_uri(reverse("mastodon_api:token")),
            "revocation_endpoint": request.build_absolute_uri(reverse("mastodon_api:revoke")),
            "app_registration_endpoint": request.build_absolute_uri(reverse("mastodon_api:apps")),
            "scopes_supported": all_scopes(),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": grants,
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )
