"""The product's own error pages (400, 403, 404, 405, 410, 500): in the product's language,
with the header, what happened and a way on."""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


def _texts() -> dict[int, tuple[str, str]]:
    """Title and sentence per status, in the active language."""
    return {
        400: (
            _("Forespørgslen kunne ikke forstås"),
            _("Siden fik en forespørgsel, den ikke kunne læse. Gå tilbage og prøv igen."),
        ),
        403: (
            _("Du har ikke adgang til siden"),
            _("Siden hører til en anden bruger eller rolle, eller din session er udløbet."),
        ),
        404: (
            _("Siden findes ikke"),
            _("Adressen er forkert, eller det, siden viste, findes ikke længere."),
        ),
        405: (
            _("Siden kan ikke bruges sådan"),
            _("Siden tager ikke imod denne slags forespørgsel. Brug knapperne på siden."),
        ),
        410: (
            _("Siden er ikke længere gyldig"),
            _("Det, siden viste, er udløbet eller brugt."),
        ),
        500: (
            _("Der opstod en fejl"),
            _("Det er ikke din skyld. Prøv igen om lidt, eller ring til supporten."),
        ),
    }


def _back(request: HttpRequest) -> str:
    """The page the person came from, if it was one of ours."""
    referer = request.headers.get("Referer", "")
    same_site = url_has_allowed_host_and_scheme(
        referer, {request.get_host()}, require_https=request.is_secure()
    )
    return referer if referer and same_site and referer != request.build_absolute_uri() else ""


def error_page(request: HttpRequest, status: int) -> HttpResponse:
    title, text = _texts()[status]
    context = {"status": status, "title": title, "text": text}
    try:
        context["back"] = _back(request)
    except Exception:  # a 400 may come from a host not allowed
        context["back"] = ""
    try:
        body = render_to_string("error.html", context, request=request)
    except Exception:  # a 500 may come from what the full page needs (the database, …)
        log.exception("error page %s rendered without the request", status)
        body = render_to_string("error.html", context)
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500)


class ErrorPageMiddleware:
    """Responses such as HttpResponseNotAllowed and HttpResponseGone carry no body: a person's
    browser gets the product's page instead (headers such as Allow kept)."""

    STATUSES = (400, 403, 404, 405, 410)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code not in self.STATUSES
            or getattr(response, "streaming", False)
            or response.content
            or request.method == "HEAD"
        ):
            return response
        page = error_page(request, response.status_code)
        for header, value in response.headers.items():
            if header.lower() not in ("content-type", "content-length"):
                page.headers[header] = value
        return page


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent without its token (an old tab, cookies off) gets the
    product's 403 page too."""
    return error_page(request, 403)
