"""The citizen's own flow ("Borger selv"): signed in with MitID, the citizen finds their own
doctor through the registry, checks the device, writes the reason and queues; the page then
follows the queue and the call. The employee flow's steps without the consent declaration."""

import dataclasses
import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User
from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.consultations.snapshots import consultation_snapshot
from kontaktlaege.consultations.views import _done
from kontaktlaege.directory import lookups
from kontaktlaege.directory.models import Ydernummer
from kontaktlaege.doctorinfo.status import DoctorCard, doctor_card
from kontaktlaege.video.checks import DEVICE_CHECK

from . import session
from .forms import CitizenReasonForm

CITIZEN = User.Kind.CITIZEN
# The call being prepared: the own doctor found and the one-time token of its submit.
DRAFT = "kl_citizen_draft"
S = Consultation.State


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _card(ydernummer: Ydernummer) -> DoctorCard:
    """The employee's doctor card without the back-line number (staff only)."""
    return dataclasses.replace(doctor_card(ydernummer), back_line_phone="")


def _own_doctor(request: HttpRequest) -> tuple[Ydernummer | None, str]:
    """The citizen's own doctor from the registry (the look-up audited and limited as an
    employee's), or why there is none to call now."""
    cpr = session.cpr_of(request.session)
    if not cpr:
        return None, _("Dit CPR-nummer kendes ikke i denne session. Log ud, og log ind igen.")
    try:
        found = lookups.look_up(_user(request), cpr)
    except lookups.LookupLimitReached:
        return None, _("Du har slået op for mange gange på kort tid. Vent et par minutter.")
    if found is None:
        return None, _("Dit CPR-nummer findes ikke i lægeregisteret. Ring til din læge.")
    if found.ydernummer is None:
        return None, _("Du har ikke en egen læge registreret i lægeregisteret.")
    clinic = found.ydernummer.clinic
    if not clinic.offers_video:
        return found.ydernummer, _(
            "Din læge, %(clinic)s, tilbyder ikke videokonsultation. "
            "Ring til klinikken på %(phone)s."
        ) % {"clinic": clinic.name, "phone": clinic.phone or "-"}
    return found.ydernummer, actions.closed_message(clinic)


@verified_required(CITIZEN)
def start(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    active = (
        Consultation.objects.followed_by(user)
        .filter(state__in=[S.QUEUED, S.ADMITTED])
        .order_by("-pk")
        .first()
    )
    if active is not None:
        return redirect("citizens:consultation", pk=active.pk)
    draft = request.session.get(DRAFT)
    problem = ""
    if draft:
        ydernummer = Ydernummer.objects.select_related("clinic").filter(pk=draft["ydernummer"])
        found = ydernummer.first()
    else:
        found, problem = _own_doctor(request)
        if found is not None and not problem:
            draft = {"ydernummer": found.pk, "token": secrets.token_urlsafe(24)}
            request.session[DRAFT] = draft
    return render(
        request,
        "citizens/start.html",
        {
            "name": session.name_of(request.session),
            "problem": problem,
            "ydernummer": found,
            "card": _card(found) if found is not None else None,
            "ready": bool(draft) and not problem,
        },
    )


def _draft_doctor(request: HttpRequest) -> Ydernummer | None:
    draft = request.session.get(DRAFT)
    if not draft:
        return None
    return Ydernummer.objects.select_related("clinic").filter(pk=draft["ydernummer"]).first()


@verified_required(CITIZEN)
def device_check(request: HttpRequest) -> HttpResponse:
    ydernummer = _draft_doctor(request)
    if ydernummer is None:
        return redirect("citizens:start")
    if request.method == "POST":
        request.session[DEVICE_CHECK] = {"audio_only": request.POST.get("audio_only") == "1"}
        return redirect("citizens:reason")
    # The employee's device check, its tips addressed to the citizen themselves.
    context = {"clinic": ydernummer.clinic, "for_self": True}
    return render(request, "video/device_check.html", context)


@verified_required(CITIZEN)
def reason(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    draft = request.session.get(DRAFT)
    if request.method == "POST":
        queued = actions.queued_from(user, request.POST.get("draft_token"))
        if queued is not None:  # a repeated submit: to the page of the one it queued
            request.session.pop(DRAFT, None)
            return redirect("citizens:consultation", pk=queued.pk)
    ydernummer = _draft_doctor(request)
    if not draft or ydernummer is None:
        return redirect("citizens:start")
    form = CitizenReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consultation = actions.join_queue_by_citizen(
                user,
                cpr=session.cpr_of(request.session),
                name=session.name_of(request.session),
                ydernummer=ydernummer,
                reason=form.cleaned_data["reason"],
                submit_token=draft.get("token"),
            )
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            request.session.pop(DRAFT, None)
            return redirect("citizens:consultation", pk=consultation.pk)
    return render(
        request,
        "citizens/reason.html",
        {"form": form, "draft": draft, "ydernummer": ydernummer, "clinic": ydernummer.clinic},
    )


def _own(request: HttpRequest, pk: int) -> Consultation:
    return get_object_or_404(
        Consultation.objects.select_related("clinic").followed_by(request.user),
        pk=pk,
        kind=Consultation.Kind.CITIZEN,
    )


@verified_required(CITIZEN)
def consultation(request: HttpRequest, pk: int) -> HttpResponse:
    c = _own(request, pk)
    return render(
        request,
        "citizens/consultation.html",
        {"consultation": c, "snapshot": consultation_snapshot(c.pk)},
    )


def _act(request: HttpRequest, pk: int, act: Callable[[User, int], object]) -> HttpResponse:
    c = _own(request, pk)
    to = reverse("citizens:consultation", args=[pk])
    try:
        act(_user(request), c.pk)
    except actions.ActionError as exc:
        return _done(request, to, str(exc))
    return _done(request, to)


@require_POST
@verified_required(CITIZEN)
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Forlad køen"."""
    return _act(request, pk, actions.cancel)


@require_POST
@verified_required(CITIZEN)
def end(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Afslut konsultation"."""
    return _act(request, pk, actions.end)
