"""Citizen mode on/off and re-authentication after the idle lock."""

import time

from django.contrib import auth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User
from kontaktlaege.audit.log import record
from kontaktlaege.consultations.models import Consultation

from . import shared_device as sd
from .forms import ResumeForm, UnlockForm

EMPLOYEE = User.Kind.EMPLOYEE


def _password_ok(request: HttpRequest, password: str) -> bool:
    """Through authenticate(), so django-axes throttles guessing here as at sign-in."""
    user = request.user
    found = auth.authenticate(request, username=user.get_username(), password=password)
    return found is not None and found.pk == user.pk


@require_POST
@verified_required(EMPLOYEE)
def citizen_mode_on(request: HttpRequest, pk: int) -> HttpResponse:
    """Only for a running consultation: the lock is for the citizen's time with the doctor."""
    consultation = get_object_or_404(
        Consultation, pk=pk, employee=request.user, state=Consultation.State.ADMITTED
    )
    request.session[sd.CITIZEN_MODE] = consultation.pk
    record(
        "citizen_mode_on",
        actor=request.user,
        clinic=consultation.clinic,
        consultation=consultation,
        citizen_cpr_hash=consultation.citizen_cpr_hash,
    )
    return redirect("consultations:consultation", pk=consultation.pk)


@verified_required(EMPLOYEE)
def unlock(request: HttpRequest) -> HttpResponse:
    mode = request.session.get(sd.CITIZEN_MODE)
    if mode is None:
        return redirect("home")
    form = UnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _password_ok(request, form.cleaned_data["password"]):
            del request.session[sd.CITIZEN_MODE]
            request.session[sd.LAST_ACTIVITY] = time.time()
            record("citizen_mode_off", actor=request.user, detail={"consultation": mode})
            return redirect("consultations:consultation", pk=mode)
        form.add_error("password", _("Adgangskoden er forkert."))
    return render(request, "privacy/unlock.html", {"form": form, "consultation_id": mode})


@verified_required(*User.Kind.values)  # every kind is idle-locked
def resume(request: HttpRequest) -> HttpResponse:
    if not request.session.get(sd.IDLE_LOCKED):
        return redirect("home")
    form = ResumeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
        if not _password_ok(request, form.cleaned_data["password"]):
            form.add_error("password", _("Adgangskoden er forkert."))
        elif device is None or not device.verify_token(form.cleaned_data["token"]):
            form.add_error("token", _("Koden er forkert eller udløbet. Prøv igen."))
        else:
            del request.session[sd.IDLE_LOCKED]
            request.session[sd.LAST_ACTIVITY] = time.time()
            record("idle_resumed", actor=request.user)
            nxt = request.GET.get("next", "/")
            if not url_has_allowed_host_and_scheme(nxt, {request.get_host()}):
                nxt = "/"
            return redirect(nxt)
    return render(request, "privacy/resume.html", {"form": form})
