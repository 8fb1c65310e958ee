"""Pages of the correspondence: the clinic writes and sends the doctor's note and reads the
replies; the municipality's employees read the notes addressed to their municipality, mark
them read, reply, and download the consultation's summary (PDF, FHIR). Every page is keyed
by the consultation and scoped: a clinic's own consultations, a municipality's own mail."""

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User
from kontaktlaege.consultations.models import Consultation

from . import actions, summary
from .forms import NoteForm, ReplyForm
from .models import CareCommunication

M = CareCommunication
CLINIC = User.Kind.CLINIC
EMPLOYEE = User.Kind.EMPLOYEE
PAGE_SIZE = 50
RECENT = timedelta(days=14)
RECENT_COUNT = 20


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _errors(form: object) -> str:
    errors = getattr(form, "errors", {})
    return " ".join(str(m) for field in errors.values() for m in field)


# --- clinic ---------------------------------------------------------------------------------


def _clinic_consultation(request: HttpRequest, pk: int) -> Consultation:
    return get_object_or_404(
        Consultation.objects.select_related("clinic", "municipality"),
        pk=pk,
        clinic_id=_user(request).clinic_id,
    )


@verified_required(CLINIC)
def clinic_note(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _clinic_consultation(request, pk)
    form = NoteForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.send_note(_user(request), consultation.pk, form.cleaned_data["text"])
            except actions.ActionError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Notatet er sendt til kommunen."))
                return redirect("correspondence:clinic_note", pk=consultation.pk)
        else:
            messages.error(request, _errors(form))
    thread = M.objects.filter(consultation=consultation).order_by("created_at", "pk")
    return render(
        request,
        "correspondence/clinic_note.html",
        {
            "consultation": consultation,
            "thread": thread,
            "form": form,
            "can_send": consultation.state in actions.NOTE_STATES
            and consultation.municipality_id is not None,
            "unread": any(
                m.direction == M.Direction.TO_CLINIC and m.state == M.State.SENT and not m.read_at
                for m in thread
            ),
        },
    )


@require_POST
@verified_required(CLINIC)
def clinic_mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _clinic_consultation(request, pk)
    try:
        actions.mark_read(_user(request), consultation.pk)
    except M.DoesNotExist:
        raise Http404 from None
    return redirect("correspondence:clinic_note", pk=consultation.pk)


@require_safe
@verified_required(CLINIC)
def clinic_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    notes = (
        M.objects.filter(clinic_id=user.clinic_id or 0, direction=M.Direction.TO_MUNICIPALITY)
        .select_related("consultation", "municipality")
        .annotate(
            reply_count=Count("replies", filter=Q(replies__state=M.State.SENT)),
            unread_replies=Count(
                "replies",
                filter=Q(replies__state=M.State.SENT, replies__read_at__isnull=True),
            ),
        )
        .order_by("-created_at", "-pk")
    )
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("side"))
    # The clinic's latest consultations a note can be written about: the running ones first,
    # then by the time they ended (one taken by phone from the queue was never admitted).
    since = timezone.now() - RECENT
    recent = (
        Consultation.objects.filter(
            Q(admitted_at__gte=since) | Q(ended_at__gte=since),
            clinic_id=user.clinic_id or 0,
            state__in=actions.NOTE_STATES,
            municipality__isnull=False,
        )
        .annotate(at=Coalesce("ended_at", "admitted_at"))
        .select_related("municipality")
        .order_by(F("ended_at").desc(nulls_first=True), "-admitted_at", "-pk")[:RECENT_COUNT]
    )
    return render(request, "correspondence/clinic_list.html", {"page": page, "recent": recent})


# --- municipality ---------------------------------------------------------------------------


def _inbox_consultation(request: HttpRequest, pk: int) -> Consultation:
    """A consultation with a note delivered to the employee's municipality."""
    user = _user(request)
    delivered = M.objects.filter(consultation_id=pk, **actions.incoming(user))
    if not delivered.exists():
        raise Http404
    return get_object_or_404(
        Consultation.objects.select_related("clinic", "municipality", "admitted_by"), pk=pk
    )


@require_safe
@verified_required(EMPLOYEE)
def inbox(request: HttpRequest) -> HttpResponse:
    notes = (
        M.objects.filter(**actions.incoming(_user(request)))
        .select_related("consultation", "clinic")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("side"))
    return render(request, "correspondence/inbox.html", {"page": page})


@require_safe
@verified_required(EMPLOYEE)
def inbox_thread(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _inbox_consultation(request, pk)
    user = _user(request)
    thread = M.objects.filter(
        consultation=consultation, municipality_id=user.municipality_id or 0
    ).order_by("created_at", "pk")
    return render(
        request,
        "correspondence/inbox_thread.html",
        {
            "consultation": consultation,
            "thread": thread,
            "form": ReplyForm(),
            "unread": any(
                m.direction == M.Direction.TO_MUNICIPALITY and not m.read_at for m in thread
            ),
        },
    )


@require_POST
@verified_required(EMPLOYEE)
def inbox_mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _inbox_consultation(request, pk)
    actions.mark_read(_user(request), consultation.pk)
    return redirect("correspondence:inbox_thread", pk=consultation.pk)


@require_POST
@verified_required(EMPLOYEE)
def inbox_reply(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _inbox_consultation(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
    else:
        try:
            actions.reply(_user(request), consultation.pk, form.cleaned_data["text"])
        except actions.ActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Svaret er sendt til klinikken."))
    return redirect("correspondence:inbox_thread", pk=consultation.pk)


def _summary_consultation(request: HttpRequest, pk: int) -> Consultation:
    """The employee's own consultation, or one whose note reached their municipality."""
    user = _user(request)
    consultation = get_object_or_404(
        Consultation.objects.select_related(
            "clinic", "municipality", "admitted_by", "phone_fallback_by"
        ),
        pk=pk,
    )
    if consultation.employee_id == user.pk:
        return consultation
    if M.objects.filter(consultation_id=pk, **actions.incoming(user)).exists():
        return consultation
    raise Http404


def _notes(consultation: Consultation) -> list[CareCommunication]:
    return list(
        M.objects.filter(
            consultation=consultation,
            direction=M.Direction.TO_MUNICIPALITY,
            municipality_id=consultation.municipality_id or 0,
            state=M.State.SENT,
        ).order_by("created_at", "pk")
    )


@require_safe
@verified_required(EMPLOYEE)
def summary_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _summary_consultation(request, pk)
    response = HttpResponse(summary.pdf(consultation, _notes(consultation)), "application/pdf")
    response["Content-Disposition"] = f'attachment; filename="konsultation-{pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@verified_required(EMPLOYEE)
def summary_fhir(request: HttpRequest, pk: int) -> HttpResponse:
    """The CareCommunication bundle of the latest note, as the municipality received it."""
    consultation = _summary_consultation(request, pk)
    notes = _notes(consultation)
    if not notes:
        raise Http404
    response = HttpResponse(notes[-1].bundle, "application/fhir+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="konsultation-{pk}-fhir.json"'
    response["Cache-Control"] = "no-store"
    return response
