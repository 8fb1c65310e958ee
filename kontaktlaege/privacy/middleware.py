"""Server-side enforcement of the idle lock and citizen mode, and the privacy headers of every
page."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from kontaktlaege.live.session_watch import session_ended

from . import shared_device as sd

# Reachable while the idle lock is on: the re-authentication page and signing out, and for a
# user signed in through SAML the provider's re-authentication (saml/views.py).
IDLE_OPEN = ("/privatliv/genoptag/", "/konto/log-ud/", "/konto/log-ind/", "/static/", "/saml/")


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refuse(request: HttpRequest, to: str, text: str, status: int) -> HttpResponse:
    if request.method == "GET" and not _wants_json(request):
        return redirect(to)
    return JsonResponse({"error": text}, status=status)


class SharedDeviceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and user.is_verified()):  # type: ignore[union-attr,attr-defined]
            return self.get_response(request)
        session = request.session
        employee = getattr(user, "kind", "") == "employee"
        mode = session.get(sd.CITIZEN_MODE) if employee else None
        if mode is not None:
            # Citizen mode outranks the idle lock: the device is already locked to the call.
            if not sd.citizen_mode_allows(request.path, int(mode)):
                return _refuse(
                    request,
                    reverse("consultations:consultation", args=[mode]),
                    _("Enheden er i borgertilstand. Medarbejderen skal låse op."),
                    403,
                )
            return self.get_response(request)
        locked = session.get(sd.IDLE_LOCKED)
        timeout = sd.idle_timeout(user)
        if not locked and sd.idle_expired(session, timeout=timeout):
            sd.count_calls_as_use(session, user)  # a database read only when idle
            if sd.idle_expired(session, timeout=timeout):
                waits = getattr(user, "waits_in_queue", False)
                if waits and sd.waiting_in_queue(user, request.path):
                    return self.get_response(request)
                # The pages still open on the device must not go on showing people.
                session_ended(session.session_key)
                locked = session[sd.IDLE_LOCKED] = True
        if locked:
            if not request.path.startswith(IDLE_OPEN):
                to = reverse("privacy:resume") + "?" + urlencode({"next": request.path})
                return _refuse(request, to, _("Du har været inaktiv for længe. Log ind igen."), 401)
            return self.get_response(request)
        sd.touch(session)
        return self.get_response(request)


# Camera and microphone for the site itself (the device check and calls), nothing else.
PERMISSIONS_POLICY = (
    "camera=(self), microphone=(self), display-capture=(), geolocation=(), payment=(), usb=()"
)


class PrivacyHeadersMiddleware:
    """No page is kept in a browser's or proxy's cache (they show names, CPR numbers and
    reasons; static files are served before this), and powerful features stay with the site."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        response["Permissions-Policy"] = PERMISSIONS_POLICY
        return response
