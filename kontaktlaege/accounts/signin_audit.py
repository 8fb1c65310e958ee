"""Audit of sign-in, sign-out, failed sign-ins and lock-outs, from Django's and django-axes'
signals: who, when, from which address; never a password or code, and the user name typed
only as the account it names (a name of no account is left out: it may be a password typed
into the wrong field)."""

from typing import Any

from django.http import HttpRequest

from kontaktlaege.audit.log import record

from .models import User


def client_address(request: HttpRequest | None) -> str:
    """The address django-axes throttles by (the browser's, behind the proxy)."""
    if request is None:
        return ""
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", "")


def _account(username: object) -> User | None:
    if not isinstance(username, str) or not username:
        return None
    return User.objects.filter(username=username).first()


def _from_a_request(request: HttpRequest | None) -> bool:
    # The test client's force_login and the shell sign in without a request to a view.
    return request is not None and getattr(request, "resolver_match", None) is not None


def logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """The password step (the whole sign-in is `login`, after the second factor). A SAML
    sign-in has no password step; kontaktlaege/saml records its `login` itself."""
    if getattr(user, "backend", "") == "kontaktlaege.saml.backend.FederatedBackend":
        return
    if _from_a_request(request):
        record("login_password", actor=user, detail={"address": client_address(request)})


def logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None and request is not None:
        record("logout", actor=user, detail={"address": client_address(request)})


def login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    record(
        "login_failed",
        actor=_account(credentials.get("username")),
        detail={"address": client_address(request)},
    )


def locked_out(
    sender: Any, request: HttpRequest | None = None, username: object = None, **kwargs: Any
) -> None:
    record(
        "login_locked_out",
        actor=_account(username),
        detail={"address": client_address(request)},
    )
