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

from .access import verified_required
from .forms import PasswordLoginForm, ProfileForm, TokenForm


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
    return render(request, "accounts/login.html", {"form": form})


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
            otp_login(request, device)
            record("login", actor=user)
            return redirect(_next_url(request))
        form.add_error("token", _("Koden er forkert eller udløbet. Prøv igen."))
    return render(request, "accounts/verify.html", {"form": form})


@login_required
def enroll(request: HttpRequest) -> HttpResponse:
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("accounts:verify")
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "Authenticator"}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save()
            otp_login(request, device)
            record("totp_enrolled", actor=request.user)
            return redirect(_next_url(request))
        form.add_error("token", _("Koden er forkert. Tjek at uret på telefonen går rigtigt."))
    img = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buf = io.BytesIO()
    img.save(buf)
    qr = "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()
    return render(request, "accounts/enroll.html", {"form": form, "qr": qr})


@verified_required()
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("home")
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    response = redirect("accounts:login")
    # Shared tablets: nothing of the session may stay in the browser.
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response
