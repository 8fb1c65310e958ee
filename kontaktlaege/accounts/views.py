"""Local sign-in: password, then a TOTP second factor (enrolled with a QR code)."""

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import auth
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from kontaktlaege.audit.log import record
from kontaktlaege.saml import config as saml_config
from kontaktlaege.saml import views as saml_views

from . import activation, devices
from .access import verified_required
from .forms import ActivationForm, PasswordLoginForm, ProfileForm, TokenForm
from .signin_audit import client_address

# Set in the session when the account's activation code was given: only then is a new
# authenticator's secret shown.
ENROL_ACTIVATED = "kl_enrol_activated"


def _second_factor_given(request: HttpRequest, device: TOTPDevice) -> None:
    otp_login(request, device)
    # A new session id for the fully signed-in session: an id learnt or planted before the
    # code was given is worth nothing now (the password step rotated it once already).
    request.session.cycle_key()


def _next_url(request: HttpRequest) -> str:
    nxt = request.session.get("next") or "/"
    return nxt if url_has_allowed_host_and_scheme(nxt, {request.get_host()}) else "/"


def login(request: HttpRequest) -> HttpResponse:
    form = PasswordLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = auth.authenticate(
            request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if user is None:
            form.add_error(None, _("Forkert brugernavn eller adgangskode."))
        else:
            nxt = request.GET.get("next", "/")
            auth.login(request, user)
            request.session["next"] = nxt
            return redirect("accounts:verify")
    federated = saml_config.login_choices()
    return render(request, "accounts/login.html", {"form": form, "federated": federated})


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return redirect("accounts:enroll")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # verify_token throttles repeated failures itself (django-otp).
        if device.verify_token(form.cleaned_data["token"]):
            _second_factor_given(request, device)
            record("login", actor=user, detail={"address": client_address(request)})
            return redirect(_next_url(request))
        record("totp_failed", actor=user, detail={"address": client_address(request)})
        form.add_error("token", _("Koden er forkert eller udløbet. Prøv igen."))
    return render(request, "accounts/verify.html", {"form": form})


@login_required
def enroll(request: HttpRequest) -> HttpResponse:
    """Binding an authenticator app: first the account's one-time activation code, then the
    QR code and a code from the app."""
    user = request.user
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("accounts:verify")
    if request.session.get(ENROL_ACTIVATED) != user.pk:
        return _activate(request)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        return redirect("accounts:enroll")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save()
            del request.session[ENROL_ACTIVATED]
            _second_factor_given(request, device)
            devices.added(device, address=client_address(request))
            record("totp_enrolled", actor=user)
            return redirect(_next_url(request))
        record("totp_failed", actor=user, detail={"address": client_address(request)})
        form.add_error("token", _("Koden er forkert. Tjek at uret på telefonen går rigtigt."))
    img = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buf = io.BytesIO()
    img.save(buf)
    qr = "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()
    return render(request, "accounts/enroll.html", {"form": form, "qr": qr})


def _activate(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ActivationForm(request.POST if "code" in request.POST else None)
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        try:
            activation.redeem(user, form.cleaned_data["code"])  # type: ignore[arg-type]
        except activation.Refused as refused:
            record("activation_code_failed", actor=user, detail={"address": address})
            form.add_error(
                "code",
                _("For mange forkerte forsøg. Bed en administrator om en ny aktiveringskode.")
                if refused.burnt
                else _(
                    "Aktiveringskoden er forkert, udløbet eller allerede brugt. "
                    "Bed en administrator om en ny."
                ),
            )
        else:
            record("activation_code_used", actor=user, detail={"address": address})
            # A fresh secret: none shown before the code was given stays usable.
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
            request.session[ENROL_ACTIVATED] = user.pk
            return redirect("accounts:enroll")
    return render(request, "accounts/activate.html", {"form": form})


@verified_required()
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("home")
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    # Signed in through SAML: single logout at the identity provider too.
    response = saml_views.start_logout(request)
    if response is None:
        auth.logout(request)
        response = redirect("accounts:login")
    # Shared tablets: nothing of the session may stay in the browser.
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response
