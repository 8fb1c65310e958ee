"""Pages of the clinic's invitations by SMS or e-mail: the staff's form and list, and the
link's pages for the invited person (no account: the session holds the invitation) — the
invitation, the device check, and the waiting page that becomes the call. A signed-in
municipal employee opening a link is taken into the employee flow for that clinic."""

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from django import forms
from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User
from kontaktlaege.consultations import actions as queue
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.consultations.snapshots import consultation_snapshot
from kontaktlaege.consultations.views import DRAFT
from kontaktlaege.directory.models import Clinic

from . import actions, calls
from .models import Invite

CLINIC = User.Kind.CLINIC
# The invitation a person opened, before the device check: {"invite": pk}.
OPENED_SESSION_KEY = "invitation_opened"
RECENT = 20


class InviteForm(forms.Form):
    address = forms.CharField(
        label=gettext_lazy("Mobilnummer eller e-mail"),
        max_length=254,
        help_text=gettext_lazy("Et dansk mobilnummer får en SMS, en e-mailadresse en e-mail."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    name = forms.CharField(label=gettext_lazy("Navn (valgfrit)"), max_length=100, required=False)
    at = forms.DateTimeField(
        label=gettext_lazy("Tidspunkt (valgfrit)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean_at(self) -> datetime | None:
        at = self.cleaned_data.get("at")
        if at is not None and at < timezone.now() - timedelta(minutes=5):
            raise forms.ValidationError(_("Tidspunktet er allerede passeret."))
        return at


class OpenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Dit navn"),
        max_length=60,
        help_text=gettext_lazy("Vises for lægen i venteværelset."),
        error_messages={"max_length": gettext_lazy("Navnet må højst være 60 tegn.")},
    )


def link_maker(request: HttpRequest) -> Callable[[int, str], str]:
    """The absolute URL of an invitation's link, on the host the staff work on."""
    return lambda clinic_id, token: request.build_absolute_uri(
        reverse("video:invitation", args=[clinic_id, token])
    )


def _state(invite: Invite) -> str:
    if invite.revoked_at:
        return _("Trukket tilbage")
    if invite.used_at:
        return _("Brugt")
    if invite.expires_at <= timezone.now():
        return _("Udløbet")
    return _("Sendt")


@verified_required(CLINIC)
def invite_patient(request: HttpRequest) -> HttpResponse:
    """Clinic staff send a one-time link by SMS or e-mail; the outbox sends it."""
    user: User = request.user  # type: ignore[assignment]
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.invite_patient(
                user,
                address=form.cleaned_data["address"],
                name=form.cleaned_data["name"],
                at=form.cleaned_data["at"],
                link=link_maker(request),
            )
        except actions.ActionError as error:
            form.add_error("address", str(error))
        else:
            flash.success(request, _("Invitationen er lagt i udbakken og sendes nu."))
            return redirect("video:invite_patient")
    invites = list(
        Invite.objects.filter(clinic=user.clinic, purpose=Invite.Purpose.PATIENT).order_by(
            "-created_at", "-pk"
        )[:RECENT]
    )
    for invite in invites:
        invite.state_label = _state(invite)  # type: ignore[attr-defined]
    return render(request, "video/invite_patient.html", {"form": form, "invites": invites})


@require_POST
@verified_required(CLINIC)
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        actions.revoke_invite(request.user, pk)  # type: ignore[arg-type]
    except Invite.DoesNotExist:
        raise Http404 from None
    flash.success(request, _("Invitationen er trukket tilbage. Linket virker ikke længere."))
    return redirect("video:invite_patient")


def refused(request: HttpRequest, clinic: Clinic | None, status: int = 410) -> HttpResponse:
    """A used, expired, withdrawn, forged or other clinic's link: never a call."""
    return render(
        request,
        "video/invitation_refused.html",
        {"clinic": clinic, "message": queue.invite_refusal(clinic)},
        status=status,
    )


@never_cache
def invitation(request: HttpRequest, clinic: int, token: str) -> HttpResponse:
    """GET shows the invitation (a link preview must not use it up); POST takes the person
    on to the device check. A signed-in employee is taken into the employee flow."""
    at_clinic = Clinic.objects.filter(pk=clinic).first()
    invite = calls.invite_named(token, clinic_id=clinic)
    if (
        at_clinic is None
        or invite is None
        or invite.purpose != Invite.Purpose.PATIENT
        or not invite.is_usable
    ):
        return refused(request, at_clinic)
    if invite.planned_at and timezone.now() < invite.planned_at - queue.early_window():
        return render(
            request,
            "video/invitation_refused.html",
            {"clinic": at_clinic, "message": queue.too_early(invite.planned_at), "early": True},
        )
    user = request.user
    if user.is_authenticated and user.is_employee:  # type: ignore[union-attr]
        return _into_employee_flow(request, invite)
    form = OpenForm(request.POST or None, initial={"name": invite.invitee_name})
    if request.method == "POST" and form.is_valid():
        request.session[OPENED_SESSION_KEY] = {
            "invite": invite.pk,
            "name": form.cleaned_data["name"],
        }
        return redirect("video:invitation_check")
    return render(
        request,
        "video/invitation.html",
        {"form": form, "clinic": at_clinic, "invite": invite},
    )


def _into_employee_flow(request: HttpRequest, invite: Invite) -> HttpResponse:
    """The employee calls the clinic without a citizen, by its ydernummer; the link is used up
    when the call is queued."""
    if not request.user.is_verified():  # type: ignore[union-attr]
        return redirect(f"{reverse('accounts:verify')}?next={request.path}")
    ydernummer = invite.clinic.ydernumre.order_by("pk").first()  # type: ignore[union-attr]
    if ydernummer is None:
        return refused(request, invite.clinic)
    request.session[DRAFT] = {
        "kind": Consultation.Kind.WITHOUT_CITIZEN,
        "ydernummer": ydernummer.pk,
        "invite": invite.pk,
        "token": secrets.token_urlsafe(24),
    }
    return redirect("videocheck:device_check")


def _opened(request: HttpRequest) -> tuple[Invite | None, str]:
    data = request.session.get(OPENED_SESSION_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("invite"), int):
        return None, ""
    invite = Invite.objects.select_related("clinic").filter(pk=data["invite"]).first()
    return invite, str(data.get("name", ""))


@never_cache
def invitation_check(request: HttpRequest) -> HttpResponse:
    """The device check; finishing it puts the person in the waiting room."""
    invite, name = _opened(request)
    if invite is None:
        raise Http404
    if not invite.is_usable:
        return refused(request, invite.clinic)
    if request.method == "POST":
        try:
            consultation = queue.join_invited(invite.pk, name)
        except queue.ActionError as error:
            return render(
                request,
                "video/invitation_refused.html",
                {"clinic": invite.clinic, "message": str(error)},
                status=409,
            )
        del request.session[OPENED_SESSION_KEY]
        request.session[calls.GUEST_SESSION_KEY] = {
            "invite": invite.pk,
            "consultation": consultation.pk,
        }
        # The page the person stays on carries no token: history keeps nothing usable.
        return redirect("video:invitation_waiting")
    return render(request, "video/device_check.html", {"clinic": invite.clinic})


def _waiting_consultation(request: HttpRequest) -> tuple[int, Consultation]:
    data = request.session.get(calls.GUEST_SESSION_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("consultation"), int):
        raise Http404
    consultation = calls.invited_consultation(request.session, data["consultation"])
    if consultation is None:
        raise Http404
    return data["invite"], consultation


@never_cache
def invitation_waiting(request: HttpRequest) -> HttpResponse:
    """The invited person's page: the queue number, then the call."""
    _invite, consultation = _waiting_consultation(request)
    consultation = get_object_or_404(
        Consultation.objects.select_related("clinic"), pk=consultation.pk
    )
    return render(
        request,
        "video/invitation_waiting.html",
        {"consultation": consultation, "snapshot": consultation_snapshot(consultation.pk)},
    )


@require_POST
def invitation_leave(request: HttpRequest) -> HttpResponse:
    invite_id, consultation = _waiting_consultation(request)
    try:
        queue.leave_invited(invite_id, consultation.pk)
    except queue.ActionError as error:
        return JsonResponse({"error": str(error)}, status=409)
    return JsonResponse({"ok": True})
