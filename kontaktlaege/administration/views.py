"""The product's own administration pages: a municipality's administrator (accounts, units,
roll-out pilot, support contact, usage), a clinic's lead (staff accounts, ydernumre,
doctors) and the national administrator (connecting municipalities, the CSV import).
Views parse input, ask scope.py and call an action."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User
from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.directory.models import Municipality, Region, Ydernummer

from . import actions, scope
from .directory_import import COLUMNS, import_directory
from .forms import (
    AccountForm,
    DoctorForm,
    ImportForm,
    PilotForm,
    PlacementForm,
    SupportForm,
    UnitForm,
    YdernummerForm,
)
from .models import MunicipalitySetup, Unit

USAGE_DAYS = 30
# The actions that say someone used the product; nothing about a citizen or a reason.
USAGE_ACTIONS = {
    "login": gettext_lazy("Logget ind"),
    "logout": gettext_lazy("Logget ud"),
    "on_behalf_login": gettext_lazy("Logget ind på borgers vegne"),
    "consultation_queued": gettext_lazy("Stillet i kø"),
}


def _admin(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@verified_required(User.Kind.ADMIN)
def home(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    return render(
        request,
        "administration/home.html",
        {
            "municipality_admin": scope.is_municipality_admin(admin),
            "clinic_lead": scope.is_clinic_lead(admin),
            "national_admin": scope.is_national_admin(admin),
            "region_admin": scope.is_region_admin(admin),
        },
    )


# --- accounts (municipality's employees, clinic's staff) -----------------------------------


@scope.account_admin_required
def accounts(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    units = (
        Unit.objects.filter(municipality_id=scope.municipality_id(admin), active=True)
        if scope.is_municipality_admin(admin)
        else None
    )
    regions = Region.objects.order_by("name") if scope.is_national_admin(admin) else None
    form = AccountForm(request.POST or None, units=units, regions=regions)
    if request.method == "POST" and form.is_valid():
        try:
            user, code = actions.create_account(admin, **form.cleaned_data)
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            # Rendered, not redirected: the code is shown this once and stored nowhere.
            return render(
                request, "administration/code.html", {"account": user, "code": code, "new": True}
            )
    users = (
        scope.managed_users(admin)
        .select_related("placement__unit", "region")
        .order_by("-is_active", "username")
    )
    return render(
        request,
        "administration/accounts.html",
        {"form": form, "users": users, "units": units, "regions": regions},
    )


@require_POST
@scope.account_admin_required
def deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, False)


@require_POST
@scope.account_admin_required
def reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, True)


def _set_active(request: HttpRequest, pk: int, active: bool) -> HttpResponse:
    get_object_or_404(scope.managed_users(_admin(request)), pk=pk)
    user = actions.set_account_active(_admin(request), pk, active)
    messages.success(
        request,
        (_("%(user)s kan logge ind igen.") if active else _("%(user)s kan ikke længere logge ind."))
        % {"user": user.display_name},
    )
    return redirect("administration:accounts")


@require_POST
@scope.municipality_admin_required
def place(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    get_object_or_404(scope.managed_users(admin), pk=pk)
    units = Unit.objects.filter(municipality_id=scope.municipality_id(admin), active=True)
    form = PlacementForm(request.POST, units=units)
    if not form.is_valid():
        messages.error(request, _("Vælg en af kommunens enheder."))
    else:
        actions.place(admin, pk, form.cleaned_data["unit"])
        messages.success(request, _("Enheden er gemt."))
    return redirect("administration:accounts")


@require_POST
@scope.account_admin_required
def reset_second_factor(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(scope.managed_users(_admin(request)), pk=pk)
    user, code = actions.reset_second_factor(_admin(request), pk)
    return render(request, "administration/code.html", {"account": user, "code": code})


# --- the municipality's units, pilot, support contact and usage ----------------------------


@scope.municipality_admin_required
def units(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_unit(admin, unit_pk=None, **form.cleaned_data)
        except actions.ActionError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, _("Enheden er gemt."))
            return redirect("administration:units")
    rows = Unit.objects.filter(municipality_id=scope.municipality_id(admin))
    return render(request, "administration/units.html", {"form": form, "units": rows})


@scope.municipality_admin_required
def unit(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    found = get_object_or_404(Unit, pk=pk, municipality_id=scope.municipality_id(admin))
    initial = {"name": found.name, "department": found.department, "active": found.active}
    form = UnitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_unit(admin, unit_pk=found.pk, **form.cleaned_data)
        except actions.ActionError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, _("Enheden er gemt."))
            return redirect("administration:units")
    return render(request, "administration/unit.html", {"form": form, "unit": found})


def _setup(admin: User) -> MunicipalitySetup | None:
    return MunicipalitySetup.objects.filter(municipality_id=scope.municipality_id(admin)).first()


@scope.municipality_admin_required
def pilot(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    setup = _setup(admin)
    initial = {
        "pilot": bool(setup and setup.pilot),
        "clinics": list(setup.pilot_clinics.all()) if setup else [],
    }
    form = PilotForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_pilot(
                admin, pilot=form.cleaned_data["pilot"], clinics=form.cleaned_data["clinics"]
            )
        except actions.ActionError as exc:
            form.add_error("clinics", str(exc))
        else:
            messages.success(request, _("Afprøvningen er gemt."))
            return redirect("administration:pilot")
    return render(request, "administration/pilot.html", {"form": form, "setup": setup})


@scope.municipality_admin_required
def support(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    setup = _setup(admin)
    initial = {f: getattr(setup, f) for f in actions.SUPPORT_FIELDS} if setup else {}
    form = SupportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.set_support(admin, **form.cleaned_data)
        messages.success(request, _("Supportoplysningerne er gemt."))
        return redirect("administration:support")
    return render(request, "administration/support.html", {"form": form})


@scope.municipality_admin_required
def usage(request: HttpRequest) -> HttpResponse:
    """Who of the municipality's employees used the product, and when: the audit log's
    sign-ins and calls, without citizen, clinic or reason."""
    admin = _admin(request)
    since = timezone.now() - timedelta(days=USAGE_DAYS)
    entries = AuditEntry.objects.filter(
        actor__kind=User.Kind.EMPLOYEE,
        actor__municipality_id=scope.municipality_id(admin),
        action__in=USAGE_ACTIONS,
        at__gte=since,
    )
    people = (
        entries.values("actor_id", "actor_label", "actor__username", "actor__placement__unit__name")
        .annotate(times=Count("id"), last=Max("at"))
        .order_by("-last")
    )
    recent = [
        {"at": e.at, "who": e.actor_label, "what": USAGE_ACTIONS[e.action]}
        for e in entries.order_by("-at")[:200]
    ]
    return render(
        request,
        "administration/usage.html",
        {"people": people, "recent": recent, "days": USAGE_DAYS},
    )


# --- the clinic's lead: ydernumre and doctors ----------------------------------------------


@scope.clinic_lead_required
def doctors(request: HttpRequest) -> HttpResponse:
    lead = _admin(request)
    ydernumre = Ydernummer.objects.filter(clinic_id=scope.clinic_id(lead)).prefetch_related(
        "doctors"
    )
    doctor_form = DoctorForm(request.POST if "name" in request.POST else None)
    doctor_form.fields["ydernummer"].choices = [(y.pk, y.number) for y in ydernumre]  # type: ignore[attr-defined]
    number_form = YdernummerForm(request.POST if "number" in request.POST else None)
    try:
        if request.method == "POST" and doctor_form.is_bound and doctor_form.is_valid():
            actions.add_doctor(
                lead,
                ydernummer_pk=int(doctor_form.cleaned_data["ydernummer"]),
                name=doctor_form.cleaned_data["name"],
            )
            messages.success(request, _("Lægen er tilføjet."))
            return redirect("administration:doctors")
        if request.method == "POST" and number_form.is_bound and number_form.is_valid():
            actions.add_ydernummer(lead, number_form.cleaned_data["number"])
            messages.success(request, _("Ydernummeret er tilføjet."))
            return redirect("administration:doctors")
    except actions.ActionError as exc:
        (doctor_form if doctor_form.is_bound else number_form).add_error(None, str(exc))
    return render(
        request,
        "administration/doctors.html",
        {"ydernumre": ydernumre, "doctor_form": doctor_form, "number_form": number_form},
    )


@require_POST
@scope.clinic_lead_required
def remove_doctor(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        actions.remove_doctor(_admin(request), pk)
    except actions.ActionError as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, _("Lægen er fjernet."))
    return redirect("administration:doctors")


# --- the national administrator ------------------------------------------------------------


@scope.national_admin_required
def municipalities(request: HttpRequest) -> HttpResponse:
    rows = Municipality.objects.select_related("region", "setup").order_by("name")
    return render(request, "administration/municipalities.html", {"municipalities": rows})


@require_POST
@scope.national_admin_required
def set_connected(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = get_object_or_404(Municipality, pk=pk)
    connected = request.POST.get("connected") == "1"
    actions.set_connected(_admin(request), municipality, connected)
    messages.success(
        request,
        (_("%(m)s er tilsluttet.") if connected else _("%(m)s er markeret som ikke tilsluttet."))
        % {"m": municipality.name},
    )
    return redirect("administration:municipalities")


@scope.national_admin_required
def directory_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        # Read whole or not at all: never half a file. The server bounds request bodies too.
        if upload.size > settings.MAX_REQUEST_BODY_BYTES:
            form.add_error("file", _("Filen er for stor. Del den i flere filer."))
        else:
            result = import_directory(
                _admin(request), upload.read(), dry_run=form.cleaned_data["dry_run"]
            )
    return render(
        request,
        "administration/import.html",
        {"form": form, "result": result, "columns": COLUMNS},
    )


# --- for employees -------------------------------------------------------------------------


@verified_required()
def help_page(request: HttpRequest) -> HttpResponse:
    return render(request, "administration/help.html")
