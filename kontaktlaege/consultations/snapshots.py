"""The state a page shows, read from the database. Pages render only snapshots; pushes just
tell them a newer one exists."""

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from kontaktlaege.directory import cpr as cprlib

from .models import Consultation, WaitingRoom

S = Consultation.State


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _labels(choices: type[models.Choices]) -> dict[str, str]:
    """The choices' labels in the active language."""
    return {value: str(label) for value, label in choices.choices}


def clinic_snapshot(clinic_id: int) -> dict[str, Any]:
    """Everything the clinic's waiting-room page shows. The sequence number is read first,
    so the entries are at least as new as it."""
    room, _created = WaitingRoom.objects.get_or_create(clinic_id=clinic_id)
    now = timezone.now()
    entries = []
    consultations = (
        Consultation.objects.filter(clinic_id=clinic_id, state__in=[S.QUEUED, S.ADMITTED])
        .select_related("admitted_by", "ydernummer")
        .order_by("queued_at", "pk")
    )
    # Labels once per snapshot: get_FOO_display() rebuilds the choices with their lazy
    # translations for every call: the two together cost about 40 µs per entry.
    kind_labels = _labels(Consultation.Kind)
    state_labels = _labels(S)
    position = 0
    for c in consultations:
        if c.state == S.QUEUED:
            position += 1
        entries.append(
            {
                "id": c.pk,
                "kind": c.kind,
                "kind_label": kind_labels.get(c.kind, c.kind),
                "state": c.state,
                "state_label": state_labels.get(c.state, c.state),
                "position": position if c.state == S.QUEUED else None,
                "citizen_name": c.citizen_name,
                "citizen_cpr": cprlib.formatted(c.citizen_cpr),
                "employee_name": c.employee_name,
                "employee_role": c.employee_role,
                "employee_workplace": c.employee_workplace,
                "ydernummer": c.ydernummer.number if c.ydernummer else "",
                "reason": c.reason,
                "queued_at": _iso(c.queued_at),
                "admitted_at": _iso(c.admitted_at),
                "admitted_by": c.admitted_by.display_name if c.admitted_by else "",
                "connected": c.is_connected(now),
            }
        )
    return {
        "seq": room.seq,
        "open": room.is_open(now),
        "mode": room.mode,
        "mode_label": room.get_mode_display(),
        "entries": entries,
        "now": now.isoformat(),
    }


def consultation_snapshot(consultation: Consultation) -> dict[str, Any]:
    """What the waiting person's page shows: state, live queue number, messages."""
    clinic = consultation.clinic
    room_seq = WaitingRoom.objects.filter(clinic_id=clinic.pk).values_list("seq", flat=True).first()
    notice = ""
    if consultation.state == S.CLEARED:
        notice = _("Lægen har lukket venteværelset, og køen er tømt. Ring til klinikken.")
    elif consultation.state == S.ABANDONED:
        notice = _("Du mistede din plads i køen, fordi forbindelsen var afbrudt for længe.")
    return {
        "id": consultation.pk,
        "seq": consultation.seq,
        "room_seq": room_seq or 0,
        "state": consultation.state,
        "state_label": consultation.get_state_display(),
        "position": consultation.queue_position(),
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
        "reject_message": consultation.reject_message,
        "notice": notice,
        "messages": [
            {"text": m.text, "at": m.created_at.isoformat()} for m in consultation.messages.all()
        ],
    }
