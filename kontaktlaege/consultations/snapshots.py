"""The state a page shows, read from the database. Pages render only snapshots; hints just
tell them a newer one exists.

The sequence number is read first: entries read after it may be newer than it says, never
older, so a page that has a snapshot never misses the change of a later hint."""

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kontaktlaege.directory import cpr as cprlib

from .models import Consultation, WaitingRoom

S = Consultation.State
Snapshot = tuple[int, str]  # (seq, the "snapshot" message as a page gets it)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _labels(choices: type[models.Choices]) -> dict[str, str]:
    """The choices' labels in the active language."""
    return {value: str(label) for value, label in choices.choices}


def _room(clinic_id: int) -> WaitingRoom:
    # A clinic made outside the product's own forms has no room yet.
    return WaitingRoom.objects.get_or_create(clinic_id=clinic_id)[0]


def _doctor(c: Consultation) -> str:
    """The doctor the entry is for, when its ydernummer has one doctor."""
    doctors = list(c.ydernummer.doctors.all()) if c.ydernummer else []
    return doctors[0].name if len(doctors) == 1 else ""


def _booked_label(c: Consultation) -> str:
    """The time the clinic gave an invited or booked person, as the clinic reads it."""
    if c.booked_for is None:
        return ""
    return _("Aftalt tid kl. %(time)s") % {"time": f"{timezone.localtime(c.booked_for):%H.%M}"}


def clinic_snapshot(clinic_id: int) -> dict[str, Any]:
    """Everything the clinic's waiting-room page shows."""
    room = _room(clinic_id)
    now = timezone.now()
    queue = (
        Consultation.objects.filter(clinic_id=clinic_id, state__in=[S.QUEUED, S.ADMITTED])
        .select_related("ydernummer", "admitted_by")
        .prefetch_related("ydernummer__doctors")
        .order_by("queued_at", "pk")
    )
    kind_labels, state_labels = _labels(Consultation.Kind), _labels(S)
    entries = []
    position = 0
    for c in queue:
        queued = c.state == S.QUEUED
        position += queued
        entries.append(
            {
                "id": c.pk,
                "kind": c.kind,
                "kind_label": kind_labels.get(c.kind, c.kind),
                "state": c.state,
                "state_label": state_labels.get(c.state, c.state),
                "position": position if queued else None,
                "citizen_name": c.citizen_name,
                "citizen_cpr": cprlib.formatted(c.citizen_cpr),
                "employee_name": c.employee_name,
                "employee_role": c.employee_role,
                "employee_workplace": c.employee_workplace,
                "ydernummer": c.ydernummer.number if c.ydernummer else "",
                "doctor": _doctor(c),
                "reason": c.reason,
                "queued_at": _iso(c.queued_at),
                "admitted_at": _iso(c.admitted_at),
                "admitted_by": c.admitted_by.display_name if c.admitted_by else "",
                # A passant's entry waits for its person's first page (last_seen_at unset).
                "connected": not queued or (c.away_since is None and c.last_seen_at is not None),
                "booked_for": _iso(c.booked_for),
                "booked_label": _booked_label(c),
                "phone_fallback": c.phone_fallback_at is not None,
            }
        )
    return {
        "seq": room.seq,
        "open": room.is_open(now),
        "mode": room.mode,
        "mode_label": _labels(WaitingRoom.Mode).get(room.mode, room.mode),
        "entries": entries,
        "now": now.isoformat(),
    }


def clinic_snapshot_message(clinic_id: int) -> Snapshot:
    """What the clinic's pages get, with labels in the product's language (the sockets have
    no request to take a language from)."""
    with translation.override(settings.LANGUAGE_CODE):
        snapshot = clinic_snapshot(clinic_id)
    message = {"type": "snapshot", "seq": snapshot["seq"], "data": snapshot}
    return snapshot["seq"], json.dumps(message, separators=(",", ":"))


def queue_position(consultation: Consultation) -> int | None:
    """The live queue number: those waiting ahead (by queue time, then id), plus one."""
    if consultation.state != S.QUEUED:
        return None
    ahead = Consultation.objects.filter(
        models.Q(queued_at__lt=consultation.queued_at)
        | models.Q(queued_at=consultation.queued_at, pk__lt=consultation.pk),
        clinic_id=consultation.clinic_id,
        state=S.QUEUED,
    )
    return ahead.count() + 1


def consultation_snapshot(consultation_id: int) -> dict[str, Any]:
    """What the waiting person's page shows: state, live queue number, messages."""
    clinic_id = Consultation.objects.values_list("clinic_id", flat=True).get(pk=consultation_id)
    room = WaitingRoom.objects.filter(clinic_id=clinic_id).first()
    c = Consultation.objects.select_related("clinic").get(pk=consultation_id)
    notice = ""
    if c.state == S.CLEARED:
        notice = _("Lægen har lukket venteværelset, og køen er tømt. Ring til klinikken.")
    elif c.state == S.ABANDONED:
        notice = _("Du mistede din plads i køen, fordi forbindelsen var afbrudt for længe.")
    return {
        "id": c.pk,
        "seq": c.seq,
        "room_seq": room.seq if room else 0,
        # Closed for new arrivals ("Luk og behold køen"): those waiting keep their place.
        "room_closed": room is None or not room.is_open(),
        "state": c.state,
        "state_label": c.get_state_display(),
        "position": queue_position(c),
        "clinic_name": c.clinic.name,
        "clinic_phone": c.clinic.phone,
        "reject_message": c.reject_message,
        "phone_fallback": c.phone_fallback_at is not None,
        "notice": notice,
        "messages": [{"text": m.text, "at": _iso(m.created_at)} for m in c.messages.all()],
    }
