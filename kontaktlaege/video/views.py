"""Pages of the call: the doctor's call page, invitation links, and the guest's page (no
account: a one-time link puts the invitation in the guest's session)."""

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User
from kontaktlaege.consultations.models import Consultation

from . import actions, calls, signaling

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


@require_POST
@verified_required(CLINIC)
def remove_guest(request: HttpRequest, pk: int) -> HttpResponse:
    """The doctor removes a guest from the call (its peer id, or its invitation's id): the
    invitation is revoked and the guest cannot come back."""
    consultation = _clinic_consultation(request, pk)
    peer_id = request.POST.get("peer", "")
    invite = request.POST.get("invite", "")
    if not (signaling.valid_peer_id(peer_id) or invite.isdigit()):
        return JsonResponse({"error": gettext("Vælg hvem der skal fjernes.")}, status=400)
    try:
        removed = actions.remove_guest(
            request.user,  # type: ignore[arg-type]
            consultation.pk,
            peer_id=peer_id if signaling.valid_peer_id(peer_id) else "",
            invite_id=int(invite) if invite.isdigit() and not peer_id else None,
        )
    except Consultation.DoesNotExist:
        raise Http404 from None
    except actions.ActionError as error:
        return JsonResponse({"error": str(error)}, status=409)
    return JsonResponse({"removed": removed})


def _withdrawn(request: HttpRequest) -> HttpResponse:
    return render(request, "video/invite_invalid.html", {"withdrawn": True}, status=410)


def guest_join(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the invitation (link previews must not use it up); POST uses it."""
    invite = calls.invite_from_token(token)
    if invite is None:
        named = calls.invite_named(token)
        if named is not None and named.revoked_at is not None:
            return _withdrawn(request)
    consultation = invite.consultation if invite is not None else None
    if invite is None or consultation is None or consultation.state != Consultation.State.ADMITTED:
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
    return render(request, "video/invite.html", {"form": form, "clinic": consultation.clinic})


def guest_call(request: HttpRequest) -> HttpResponse:
    data = request.session.get(calls.GUEST_SESSION_KEY)
    if not isinstance(data, dict):
        raise Http404
    invite = calls.guest_invite(request.session)
    if invite is None or invite.revoked_at is not None:
        # Removed by the doctor: the session lets the guest in nowhere again.
        del request.session[calls.GUEST_SESSION_KEY]
        return _withdrawn(request)
    consultation = get_object_or_404(
        Consultation.objects.select_related("clinic"), pk=data["consultation"]
    )
    return render(
        request,
        "video/call.html",
        {"consultation": consultation, "side": "guest", "active": _admitted(consultation)},
    )
