"""Pages of the call: the doctor's call page, invitation links, and the guest's page (no
account: a one-time link puts the invitation in the guest's session)."""

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User
from kontaktlaege.consultations.models import Consultation

from . import actions, calls

CLINIC = User.Kind.CLINIC


class GuestForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Dit navn"),
        max_length=60,
        help_text=gettext_lazy("Vises for lægen og de andre i opkaldet."),
        error_messages={"max_length": gettext_lazy("Navnet må højst være 60 tegn.")},
    )


def _clinic_consultation(request: HttpRequest, pk: int) -> Consultation:
    return get_object_or_404(
        Consultation.objects.select_related("clinic"),
        pk=pk,
        clinic_id=request.user.clinic_id,  # type: ignore[union-attr]
    )


def _admitted(consultation: Consultation) -> bool:
    return consultation.state == Consultation.State.ADMITTED


@verified_required(CLINIC)
def clinic_call(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _clinic_consultation(request, pk)
    return render(
        request,
        "video/call.html",
        {
            "consultation": consultation,
            "side": "doctor",
            "active": consultation.state == "admitted",
        },
    )


@require_POST
@verified_required(CLINIC)
def create_invite(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _clinic_consultation(request, pk)
    try:
        invite, token = actions.create_invite(request.user, consultation)  # type: ignore[arg-type]
    except actions.ActionError as error:
        return JsonResponse({"error": str(error)}, status=409)
    url = request.build_absolute_uri(reverse("video:guest_join", args=[token]))
    return JsonResponse({"url": url, "expires_at": invite.expires_at.isoformat()})


def guest_join(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the invitation (link previews must not use it up); POST uses it."""
    invite = calls.invite_from_token(token)
    if invite is None or invite.consultation.state != Consultation.State.ADMITTED:
        return render(request, "video/invite_invalid.html", status=410)
    form = GuestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not actions.use_invite(invite, form.cleaned_data["name"]):
            return render(request, "video/invite_invalid.html", status=410)
        request.session[calls.GUEST_SESSION_KEY] = {
            "invite": invite.pk,
            "consultation": invite.consultation_id,
        }
        # The page the guest stays on carries no token, so history keeps nothing usable.
        return redirect("video:guest_call")
    return render(
        request, "video/invite.html", {"form": form, "clinic": invite.consultation.clinic}
    )


def guest_call(request: HttpRequest) -> HttpResponse:
    data = request.session.get(calls.GUEST_SESSION_KEY)
    if not isinstance(data, dict):
        raise Http404
    consultation = get_object_or_404(
        Consultation.objects.select_related("clinic"), pk=data["consultation"]
    )
    return render(
        request,
        "video/call.html",
        {"consultation": consultation, "side": "guest", "active": _admitted(consultation)},
    )
