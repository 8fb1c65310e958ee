"""Udbakke: a clinic's staff read the messages sent in their clinic's name, with their state,
attempts and the gateway's answer (the embedded default delivers SMS here only)."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User

from .backends import OutboxOnlySMSBackend
from .models import OutboxMessage

PAGE_SIZE = 50
ANSWERS = {OutboxOnlySMSBackend.ANSWER: _("Kun leveret i udbakken (ingen SMS-gateway sat op)")}


@require_safe
@verified_required(User.Kind.CLINIC)
def outbox(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    messages = OutboxMessage.objects.filter(clinic=user.clinic).order_by("-created_at", "-pk")
    page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("side"))
    for message in page:
        message.answer_shown = ANSWERS.get(message.last_answer, message.last_answer)  # type: ignore[attr-defined]
    return render(request, "outbox/outbox.html", {"page": page})
