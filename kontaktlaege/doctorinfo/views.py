"""The clinic's page for its doctors' information, and a municipality administrator's page
for the doctors pinned for its care staff. Views parse input and call the actions."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kontaktlaege import weekly_hours
from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User
from kontaktlaege.consultations.models import WaitingRoom
from kontaktlaege.directory.models import Ydernummer

from . import actions, search
from .forms import AbsenceForm, DetailsForm, OpeningHoursFormSet
from .models import Absence, DoctorInfo, OpeningHours
from .status import doctor_card


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _clinic_id(staff: User) -> int:
    if staff.clinic_id is None:  # clinic staff always have one (a database constraint)
        raise PermissionDenied
    return staff.clinic_id


def _back(ydernummer: Ydernummer) -> HttpResponse:
    return redirect(f"{reverse('doctorinfo:clinic')}?yn={ydernummer.number}")


@verified_required(User.Kind.CLINIC)
def clinic_page(request: HttpRequest) -> HttpResponse:
    staff = _user(request)
    clinic_id = _clinic_id(staff)
    ydernumre = list(Ydernummer.objects.filter(clinic_id=clinic_id).order_by("number"))
    if not ydernumre:
        return render(request, "doctorinfo/clinic.html", {"ydernumre": []})
    number = request.POST.get("yn") or request.GET.get("yn")
    ydernummer = next((y for y in ydernumre if y.number == number), None)
    if ydernummer is None:
        if number:
            raise Http404
        ydernummer = ydernumre[0]
    info = DoctorInfo.objects.filter(ydernummer=ydernummer).first()
    hours = OpeningHours.objects.filter(ydernummer=ydernummer)
    initial_hours = weekly_hours.initial(hours)
    details_initial = {
        "back_line_phone": info.back_line_phone if info else "",
        "closed_on_optional": info.closed_on_optional_holidays if info else True,
    }
    post = request.POST if request.method == "POST" else None
    action = request.POST.get("action", "")
    hours_form = OpeningHoursFormSet(
        post if action == "hours" else None, initial=initial_hours, prefix="hours"
    )
    details_form = DetailsForm(post if action == "details" else None, initial=details_initial)
    absence_form = AbsenceForm(post if action == "absence" else None, prefix="absence")
    status = 200
    if request.method == "POST":
        try:
            done = _apply(staff, ydernummer, request.POST, hours_form, details_form, absence_form)
        except actions.ActionError as exc:
            messages.error(request, str(exc))
            done = ""
        if done:
            messages.success(request, done)
            return _back(ydernummer)
        status = 400
    room = WaitingRoom.objects.filter(clinic_id=clinic_id).first()
    context: dict[str, Any] = {
        "ydernumre": ydernumre,
        "ydernummer": ydernummer,
        "hours_form": hours_form,
        "details_form": details_form,
        "absence_form": absence_form,
        "absences": Absence.objects.filter(ydernummer=ydernummer).order_by("-starts"),
        "video_windows": room.windows.all() if room else [],
        "room": room,
        "card": doctor_card(ydernummer),
    }
    return render(request, "doctorinfo/clinic.html", context, status=status)


def _apply(
    staff: User,
    ydernummer: Ydernummer,
    post: Any,
    hours_form: Any,
    details_form: DetailsForm,
    absence_form: AbsenceForm,
) -> str:
    """Run the posted change; the success message, or "" when the input was not valid."""
    action = post.get("action", "")
    if action == "hours" and hours_form.is_valid():
        actions.set_opening_hours(staff, ydernummer, weekly_hours.rows(hours_form))
        return _("Åbningstiderne er gemt.")
    if action == "details" and details_form.is_valid():
        actions.set_details(
            staff,
            ydernummer,
            back_line_phone=details_form.cleaned_data["back_line_phone"],
            closed_on_optional=details_form.cleaned_data["closed_on_optional"],
        )
        return _("Oplysningerne er gemt.")
    if action == "absence" and absence_form.is_valid():
        data = absence_form.cleaned_data
        actions.add_absence(
            staff,
            ydernummer,
            starts=data["starts"],
            ends=data["ends"],
            reason=data["reason"],
            substitute=actions.Substitute(
                data["substitute_name"], data["substitute_clinic"], data["substitute_phone"]
            ),
        )
        return _("Fraværet er gemt.")
    if action == "remove_absence":
        absence_id = post.get("absence", "")
        if not absence_id.isdigit():
            return ""
        actions.remove_absence(staff, int(absence_id))
        return _("Fraværet er slettet.")
    return ""


@verified_required(User.Kind.ADMIN)
def pins(request: HttpRequest) -> HttpResponse:
    """A municipality's administrator pins the doctors its care staff use most."""
    admin = _user(request)
    if admin.municipality is None:
        raise PermissionDenied
    if request.method == "POST":
        ydernummer = Ydernummer.objects.filter(number=request.POST.get("ydernummer", "")).first()
        action = request.POST.get("action")
        if ydernummer is None or action not in ("pin", "unpin"):
            messages.error(request, _("Der findes ingen læge med det ydernummer."))
        elif action == "pin":
            actions.pin(admin, ydernummer)
            messages.success(request, _("Lægen er fastgjort."))
        else:
            actions.unpin(admin, ydernummer)
            messages.success(request, _("Lægen er ikke længere fastgjort."))
        query = request.POST.get("q", "")
        return redirect(
            reverse("doctorinfo:pins") + (f"?{urlencode({'q': query})}" if query else "")
        )
    query = request.GET.get("q", "")[:100]
    return render(
        request,
        "doctorinfo/pins.html",
        {
            "municipality": admin.municipality,
            "pinned": search.pinned(admin.municipality),
            "query": query,
            "results": search.search(admin.municipality, query),
        },
    )
