"""The state a page shows, read from the database. Pages render only snapshots; pushes just
tell them a newer one exists."""

import json
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from kontaktlaege.accounts.models import User
from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.directory.models import Ydernummer

from .models import Consultation, WaitingRoom, seen_recently

S = Consultation.State
Snapshot = tuple[int, str]  # (seq, the "snapshot" message as a page gets it)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _labels(choices: type[models.Choices]) -> dict[str, str]:
    """The choices' labels in the active language."""
    return {value: str(label) for value, label in choices.choices}


def _queue_sql() -> str:
    """The clinic's room with its queue, one row per entry (one row of NULLs when the queue
    is empty), in queue order. Names come from the models, so a renamed column fails here."""
    room, c = WaitingRoom._meta, Consultation._meta
    yn, user = Ydernummer._meta, User._meta

    def col(meta: Any, name: str) -> str:
        return meta.get_field(name).column

    entry = ", ".join(
        f"c.{col(c, name)}"
        for name in (
            "id", "kind", "state", "citizen_name", "citizen_cpr_encrypted", "employee_name",
            "employee_role", "employee_workplace", "reason", "queued_at", "admitted_at",
            "last_seen_at",
        )
    )  # fmt: skip
    return (
        f"SELECT r.{col(room, 'id')}, r.{col(room, 'seq')}, r.{col(room, 'mode')}, {entry},"
        f" y.{col(yn, 'number')}, u.{col(user, 'first_name')}, u.{col(user, 'last_name')},"
        f" u.{col(user, 'username')}"
        f" FROM {room.db_table} r"
        f" LEFT JOIN {c.db_table} c ON c.{col(c, 'clinic')} = r.{col(room, 'clinic')}"
        f" AND c.{col(c, 'state')} IN (%s, %s)"
        f" LEFT JOIN {yn.db_table} y ON y.{col(yn, 'id')} = c.{col(c, 'ydernummer')}"
        f" LEFT JOIN {user.db_table} u ON u.{col(user, 'id')} = c.{col(c, 'admitted_by')}"
        f" WHERE r.{col(room, 'clinic')} = %s"
        f" ORDER BY c.{col(c, 'queued_at')}, c.{col(c, 'id')}"
    )


_QUEUE_SQL = _queue_sql()


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives the stored UTC time without its zone; PostgreSQL gives it with one."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _read_queue(clinic_id: int) -> list[tuple[Any, ...]]:
    def read() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(_QUEUE_SQL, [S.QUEUED, S.ADMITTED, clinic_id])
            return cursor.fetchall()

    rows = read()
    if not rows:  # a clinic made outside the product's own forms has no room yet
        WaitingRoom.objects.get_or_create(clinic_id=clinic_id)
        rows = read()
    return rows


def clinic_snapshot(clinic_id: int) -> dict[str, Any]:
    """Everything the clinic's waiting-room page shows, in one statement, so the entries
    and the sequence number are of the same moment. Plain SQL rather than the ORM: every
    page of the clinic waits for this read after each change, and the ORM's query building
    and model instances were 0.9 of its 1.0 ms (two entries, SQLite)."""
    rows = _read_queue(clinic_id)
    room_id, seq, mode = rows[0][:3]
    room = WaitingRoom(pk=room_id, clinic_id=clinic_id, mode=mode, seq=seq)
    now = timezone.now()
    # Labels once per snapshot: get_FOO_display() rebuilds the choices with their lazy
    # translations for every call: the two together cost about 40 µs per entry.
    kind_labels = _labels(Consultation.Kind)
    state_labels = _labels(S)
    entries = []
    position = 0
    for row in rows:
        (pk, kind, state, citizen_name, cpr_encrypted, employee_name, employee_role,
         employee_workplace, reason, queued_at, admitted_at, last_seen_at, ydernummer,
         first_name, last_name, username) = row[3:]  # fmt: skip
        if pk is None:  # the room's row when nobody is in the queue
            continue
        if state == S.QUEUED:
            position += 1
        admitted_by = (
            User(first_name=first_name, last_name=last_name, username=username).display_name
            if username
            else ""
        )
        entries.append(
            {
                "id": pk,
                "kind": kind,
                "kind_label": kind_labels.get(kind, kind),
                "state": state,
                "state_label": state_labels.get(state, state),
                "position": position if state == S.QUEUED else None,
                "citizen_name": citizen_name,
                "citizen_cpr": cprlib.formatted(cprlib.decrypt(cpr_encrypted)),
                "employee_name": employee_name,
                "employee_role": employee_role,
                "employee_workplace": employee_workplace,
                "ydernummer": ydernummer or "",
                "reason": reason,
                "queued_at": _iso(_aware(queued_at)),
                "admitted_at": _iso(_aware(admitted_at)),
                "admitted_by": admitted_by,
                "connected": seen_recently(_aware(last_seen_at), now),
            }
        )
    return {
        "seq": seq,
        "open": room.is_open(now),
        "mode": mode,
        "mode_label": _labels(WaitingRoom.Mode).get(mode, mode),
        "entries": entries,
        "now": now.isoformat(),
    }


def clinic_snapshot_message(clinic_id: int) -> Snapshot:
    snapshot = clinic_snapshot(clinic_id)
    message = {"type": "snapshot", "seq": snapshot["seq"], "data": snapshot}
    return snapshot["seq"], json.dumps(message, separators=(",", ":"))


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
