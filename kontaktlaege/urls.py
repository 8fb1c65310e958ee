from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.i18n import set_language

from kontaktlaege import errors
from kontaktlaege.administration.admin_site import NationalAdminSite
from kontaktlaege.consultations.views import home

# The admin site asks for the TOTP code too (a password alone must not open it), and opens
# for the national administrator only.
admin.site.__class__ = NationalAdminSite


def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers; load balancers and monitoring poll this."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("sprog/", set_language, name="set_language"),
    path("konto/", include("kontaktlaege.accounts.urls")),
    path("saml/", include("kontaktlaege.saml.urls")),
    path("borger/", include("kontaktlaege.citizens.urls")),
    path("", include("kontaktlaege.consultations.urls")),
    path("", include("kontaktlaege.video.urls")),
    path("", include("kontaktlaege.video.check_urls")),
    path("revision/", include("kontaktlaege.audit.urls")),
    path("privatliv/", include("kontaktlaege.privacy.urls")),
    path("klinik/udbakke/", include("kontaktlaege.outbox.urls")),
    path("", include("kontaktlaege.doctorinfo.urls")),
    path("", include("kontaktlaege.correspondence.urls")),
    path("statistik/", include("kontaktlaege.stats.urls")),
    path("klinik/kalender/", include("kontaktlaege.bookings.urls")),
    path("", include("kontaktlaege.administration.urls")),
    path("admin/", admin.site.urls),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
