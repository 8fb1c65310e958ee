"""Pages of the employee's call flow and the clinic's waiting room. Views parse input, check
who may do it and call an action; the actions change state."""

import logging
import secrets

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kontaktlaege import weekly_hours
from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User
from kontaktlaege.administration.rollout import clinic_outside_pilot
from kontaktlaege.audit.log import record
from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.directory import lookups
from kontaktlaege.directory.models import Ydernummer
from kontaktlaege.doctorinfo import search as doctor_search
from kontaktlaege.doctorinfo.status import doctor_card

from . import actions
from .forms import (
    CitizenForm,
    MessageForm,
    OpeningWindowFormSet,
    PassantForm,
    ReasonForm,
    RejectForm,
    YdernummerForm,
)
from .models import Consultation, WaitingRoom
from .snapshots import consultation_snapshot

log = logging.getLogger(__name__)
EMPLOYEE = User.Kind.EMPLOYEE
CLINIC = User.Kind.CLINIC
DRAFT = "call_draft"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _done(request: HttpRequest, to: str, error: str = "", status: int = 400) -> HttpResponse:
    """Answer a POST: JSON for the page's script, a redirect with a message otherwise."""
    if _wants_json(request):
        return JsonResponse(
            {"error": error} if error else {"ok": True}, status=status if error else 200
        )
    if error:
        messages.error(request, error)
    return redirect(to)


def _not_found(request: HttpRequest) -> HttpResponse:
    """An id that is not the user's (or not at all): the page's script gets it in words."""
    if _wants_json(request):
        return JsonResponse({"error": _("Konsultationen findes ikke.")}, status=404)
    raise Http404


def _start_draft(request: HttpRequest, **draft: object) -> None:
    """Keep the call being prepared in the session, with a one-time token for its submit."""
    request.session[DRAFT] = {**draft, "token": secrets.token_urlsafe(24)}


def _form_errors(form: object) -> str:
    errors = getattr(form, "errors", {})
    return " ".join(str(m) for field in errors.values() for m in field)


# --- employee -------------------------------------------------------------------------------


@verified_required(*User.Kind.values)
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.is_citizen:
        return redirect("citizens:start")
    if user.is_employee:
        return redirect("consultations:employee_start")
    if user.is_clinic_staff:
        return redirect("consultations:waiting_room")
    return redirect("administration:home")


@verified_required(EMPLOYEE)
def employee_start(request: HttpRequest) -> HttpResponse:
    active = (
        Consultation.objects.filter(
            employee=_user(request),
            state__in=[Consultation.State.QUEUED, Consultation.State.ADMITTED],
        )
        .select_related("clinic")
        .order_by("queued_at", "pk")
    )
    draft = request.session.get(DRAFT) or {}
    return render(
        request,
        "consultations/employee_start.html",
        {"active": active, "citizen_signed_in": bool(draft.get("name"))},
    )


@verified_required(EMPLOYEE)
def citizen(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = CitizenForm(request.POST or None)
    card = None
    if request.method == "POST":
        if not form.is_valid():
            log.info("citizen form rejected: %s", sorted(form.errors.as_data()))
        else:
            cpr = form.cleaned_data["cpr"]
            try:
                found = lookups.look_up(user, cpr)
            except lookups.LookupLimitReached as refused:
                found, limit_reached = None, str(refused)
            else:
                limit_reached = ""
            if limit_reached:
                form.add_error("cpr", limit_reached)
            elif found is None:
                form.add_error("cpr", _("CPR-nummeret findes ikke i lægeregisteret."))
            elif found.ydernummer is None:
                form.add_error("cpr", _("Borgeren har ikke en egen læge registreret."))
            elif not found.ydernummer.clinic.offers_video:
                clinic = found.ydernummer.clinic
                form.add_error(
                    "cpr",
                    _(
                        "Borgerens læge, %(clinic)s, tilbyder ikke videokonsultation. "
                        "Ring til klinikken på %(phone)s."
                    )
                    % {"clinic": clinic.name, "phone": clinic.phone or "-"},
                )
                card = doctor_card(found.ydernummer)
            elif closed := actions.closed_message(found.ydernummer.clinic):
                # Said now, not after the consent, the device check and the reason; with the
                # doctor card: when it opens, the substitute, the numbers to call instead.
                form.add_error("cpr", closed)
                card = doctor_card(found.ydernummer)
            elif outside := clinic_outside_pilot(user, found.ydernummer.clinic):
                form.add_error("cpr", outside)
            else:
                record(
                    "on_behalf_login",
                    actor=user,
                    citizen_cpr=cpr,
                    clinic=found.ydernummer.clinic,
                    detail={"consent": True},
                )
                _start_draft(
                    request,
                    kind=Consultation.Kind.ON_BEHALF,
                    cpr=cprlib.encrypt(cpr),
                    name=cprlib.encrypt(found.name),  # the session is stored: no clear text
                    ydernummer=found.ydernummer.pk,
                )
                card = doctor_card(found.ydernummer)
                if card.absence or card.closed_now:
                    # The doctor is away or the clinic closed: said now, before the device
                    # check and the reason, with the substitute and when it opens.
                    return render(
                        request,
                        "consultations/doctor_found.html",
                        {"card": card, "citizen_name": found.name},
                    )
                return redirect("videocheck:device_check")
    return render(request, "consultations/citizen.html", {"form": form, "card": card})


@verified_required(EMPLOYEE)
def by_ydernummer(request: HttpRequest) -> HttpResponse:
    form = YdernummerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ydernummer: Ydernummer = form.cleaned_data["ydernummer"]
        if outside := clinic_outside_pilot(_user(request), ydernummer.clinic):
            form.add_error("ydernummer", outside)
            return render(request, "consultations/ydernummer.html", {"form": form})
        if "confirm" in request.POST:
            _start_draft(request, kind=Consultation.Kind.WITHOUT_CITIZEN, ydernummer=ydernummer.pk)
            return redirect("videocheck:device_check")
        return render(
            request,
            "consultations/ydernummer_confirm.html",
            {
                "form": form,
                "ydernummer": ydernummer,
                "clinic": ydernummer.clinic,
                "card": doctor_card(ydernummer),
            },
        )
    # Search by name, clinic or ydernummer: the employee's municipality first (issue 32).
    municipality = _user(request).municipality
    query = request.GET.get("q", "")[:100].strip()
    found = getattr(form, "found", None)
    return render(
        request,
        "consultations/ydernummer.html",
        {
            "form": form,
            "query": query,
            "doctors": (
                doctor_search.search(municipality, query)
                if query
                else doctor_search.pinned(municipality)
            ),
            "card": doctor_card(found) if found is not None else None,
        },
    )


@verified_required(EMPLOYEE)
def reason(request: HttpRequest) -> HttpResponse:
    # The session first: a draft gone from it was queued (and committed) already.
    draft = request.session.get(DRAFT)
    if request.method == "POST":
        queued = actions.queued_from(_user(request), request.POST.get("draft_token"))
        if queued is not None:  # a repeated submit: to the page of the one it queued
            if draft and draft.get("token") == queued.submit_token:
                request.session.pop(DRAFT, None)
            return redirect("consultations:consultation", pk=queued.pk)
    if not draft:
        return redirect("consultations:employee_start")
    ydernummer = get_object_or_404(
        Ydernummer.objects.select_related("clinic"), pk=draft["ydernummer"]
    )
    if request.method == "POST" and (
        outside := clinic_outside_pilot(request.user, ydernummer.clinic)
    ):
        request.session.pop(DRAFT, None)  # a pilot set while the call was being prepared
        return _done(request, reverse("consultations:employee_start"), outside)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        citizen_data = None
        if draft["kind"] == Consultation.Kind.ON_BEHALF:
            citizen_data = actions.CitizenOnBehalf(
                cpr=cprlib.decrypt(draft["cpr"]), name=cprlib.decrypt(draft["name"])
            )
        try:
            consultation = actions.join_queue(
                _user(request),
                ydernummer=ydernummer,
                reason=form.cleaned_data["reason"],
                citizen=citizen_data,
                consent_given=citizen_data is not None,
                submit_token=draft.get("token"),
                invite_id=draft.get("invite"),
            )
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            request.session.pop(DRAFT, None)
            return redirect("consultations:consultation", pk=consultation.pk)
    return render(
        request,
        "consultations/reason.html",
        {
            "form": form,
            "draft": draft,
            "citizen_name": cprlib.decrypt(draft.get("name", "")),
            "ydernummer": ydernummer,
            "clinic": ydernummer.clinic,
            "card": doctor_card(ydernummer),
        },
    )


def _own(request: HttpRequest, pk: int) -> Consultation:
    return get_object_or_404(
        Consultation.objects.select_related("clinic"), pk=pk, employee=request.user
    )


@verified_required(EMPLOYEE)
def consultation(request: HttpRequest, pk: int) -> HttpResponse:
    c = _own(request, pk)
    return render(
        request,
        "consultations/consultation.html",
        {"consultation": c, "snapshot": consultation_snapshot(c.pk)},
    )


@require_POST
@verified_required(EMPLOYEE)
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    c = _own(request, pk)
    try:
        actions.cancel(_user(request), c.pk)
    except actions.ActionError as exc:
        return _done(request, reverse("consultations:consultation", args=[pk]), str(exc))
    return _done(request, reverse("consultations:consultation", args=[pk]))


@require_POST
@verified_required(EMPLOYEE)
def employee_end(request: HttpRequest, pk: int) -> HttpResponse:
    c = _own(request, pk)
    try:
        actions.end(_user(request), c.pk)
    except actions.ActionError as exc:
        return _done(request, reverse("consultations:consultation", args=[pk]), str(exc))
    return _done(request, reverse("consultations:consultation", args=[pk]))


@require_POST
@verified_required(EMPLOYEE)
def employee_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Vi fortsatte over telefon": the employee marks their own consultation."""
    back = reverse("consultations:consultation", args=[pk])
    try:
        actions.continue_by_phone(_user(request), pk)  # checks it is the employee's own
    except Consultation.DoesNotExist:
        return _not_found(request)
    except actions.ActionError as exc:
        return _done(request, back, str(exc), status=409)
    return _done(request, back)


def _forget_citizen(request: HttpRequest) -> HttpResponse:
    """Nothing of the citizen stays in the session or the browser; back to the start page."""
    request.session.pop(DRAFT, None)
    record("citizen_logged_out", actor=_user(request))
    response = redirect("consultations:employee_start")
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


@require_POST
@verified_required(EMPLOYEE)
def log_out_citizen(request: HttpRequest) -> HttpResponse:
    """ "Log borger ud"."""
    messages.success(request, _("Borgeren er logget ud af enheden."))
    return _forget_citizen(request)


@require_POST
@verified_required(EMPLOYEE)
def discard_draft(request: HttpRequest) -> HttpResponse:
    """ "Fortryd" before the queue: on a shared tablet the citizen is forgotten too."""
    draft = request.session.get(DRAFT) or {}
    if draft.get("name"):
        messages.success(request, _("Fortrudt. Borgeren er logget ud af enheden."))
    return _forget_citizen(request)


# --- clinic ---------------------------------------------------------------------------------


@verified_required(CLINIC)
def waiting_room(request: HttpRequest) -> HttpResponse:
    room, _created = WaitingRoom.objects.get_or_create(clinic=_user(request).clinic)
    return render(
        request,
        "consultations/waiting_room.html",
        {"room": room, "clinic": room.clinic, "message_max": settings.MESSAGE_MAX_LENGTH},
    )


@require_POST
@verified_required(CLINIC)
def set_mode(request: HttpRequest) -> HttpResponse:
    mode = request.POST.get("mode", "")
    clear = request.POST.get("clear_queue") == "1"
    try:
        actions.set_mode(_user(request), mode, clear_queue=clear)
    except actions.ActionError as exc:
        return _done(request, reverse("consultations:waiting_room"), str(exc))
    return _done(request, reverse("consultations:waiting_room"))


@verified_required(CLINIC)
def schedule(request: HttpRequest) -> HttpResponse:
    room, _created = WaitingRoom.objects.get_or_create(clinic=_user(request).clinic)
    initial = weekly_hours.initial(room.windows.all())
    formset = OpeningWindowFormSet(request.POST or None, initial=initial)
    if request.method == "POST" and formset.is_valid():
        actions.set_schedule(_user(request), weekly_hours.rows(formset))
        messages.success(request, _("Åbningstiderne er gemt."))
        return redirect("consultations:waiting_room")
    return render(request, "consultations/schedule.html", {"formset": formset, "room": room})


@verified_required(CLINIC)
def passant(request: HttpRequest) -> HttpResponse:
    """ "Tilføj passant": a patient not listed at the clinic, queued by CPR number; with a
    phone number or e-mail address, the person gets an invitation link to the entry."""
    from kontaktlaege.video import actions as video
    from kontaktlaege.video.invitations import link_maker

    form = PassantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consultation = actions.add_passant(
                _user(request), form.cleaned_data["cpr"], form.cleaned_data["reason"]
            )
        except actions.ActionError as exc:
            form.add_error("cpr", str(exc))
        else:
            address = form.cleaned_data["address"]
            if address:
                try:
                    video.invite_patient(
                        _user(request),
                        address=address,
                        name=consultation.citizen_name,
                        consultation=consultation,
                        link=link_maker(request),
                    )
                except actions.ActionError as exc:
                    messages.error(request, str(exc))
            messages.success(
                request,
                _("%(name)s er sat i køen som passant.") % {"name": consultation.citizen_name},
            )
            return redirect("consultations:waiting_room")
    return render(request, "consultations/passant.html", {"form": form})


def _clinic_action(request: HttpRequest, run: object) -> HttpResponse:
    back = reverse("consultations:waiting_room")
    try:
        run()  # type: ignore[operator]
    except Consultation.DoesNotExist:
        return _not_found(request)
    except actions.ActionError as exc:
        return _done(request, back, str(exc), status=409)
    return _done(request, back)


@require_POST
@verified_required(CLINIC)
def admit(request: HttpRequest, pk: int) -> HttpResponse:
    return _clinic_action(request, lambda: actions.admit(_user(request), pk))


@require_POST
@verified_required(CLINIC)
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _done(request, reverse("consultations:waiting_room"), _form_errors(form))
    return _clinic_action(
        request, lambda: actions.reject(_user(request), pk, form.cleaned_data["message"])
    )


@require_POST
@verified_required(CLINIC)
def send_message(request: HttpRequest, pk: int) -> HttpResponse:
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _done(request, reverse("consultations:waiting_room"), _form_errors(form))
    return _clinic_action(
        request, lambda: actions.send_message(_user(request), pk, form.cleaned_data["text"])
    )


@require_POST
@verified_required(CLINIC)
def clinic_end(request: HttpRequest, pk: int) -> HttpResponse:
    return _clinic_action(request, lambda: actions.end(_user(request), pk))


@require_POST
@verified_required(CLINIC)
def clinic_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Fortsat over telefon" from the waiting room: the doctor called instead."""
    return _clinic_action(request, lambda: actions.continue_by_phone(_user(request), pk))
