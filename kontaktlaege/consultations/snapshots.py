"""The state a page shows, read from the database. Pages render only snapshots; pushes just
tell them a newer one exists."""

import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kontaktlaege.accounts.models import User
from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.directory.models import Clinic, Ydernummer

from .models import Consultation, Message, WaitingRoom, seen_recently

S = Consultation.State
Snapshot = tuple[int, str]  # (seq, the "snapshot" message as a page gets it)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _labels(choices: type[models.Choices]) -> dict[str, str]:
    """The choices' labels in the active language."""
    return {value: str(label) for value, label in choices.choices}


def _col(meta: Any, name: str) -> str:
    """A field's column, for the plain-SQL reads below: a renamed field fails at import."""
    return str(meta.get_field(name).column)


def _queue_sql() -> str:
    """The clinic's room with its queue, one row per entry (one row of NULLs when the queue
    is empty), in queue order."""
    room, c = WaitingRoom._meta, Consultation._meta
    yn, user = Ydernummer._meta, User._meta

    entry = ", ".join(
        f"c.{_col(c, name)}"
        for name in (
            "id", "kind", "state", "citizen_name", "citizen_cpr_encrypted", "employee_name",
            "employee_role", "employee_workplace", "reason", "queued_at", "admitted_at",
            "last_seen_at",
        )
    )  # fmt: skip
    return (
        f"SELECT r.{_col(room, 'id')}, r.{_col(room, 'seq')}, r.{_col(room, 'mode')}, {entry},"
        f" y.{_col(yn, 'number')}, u.{_col(user, 'first_name')}, u.{_col(user, 'last_name')},"
        f" u.{_col(user, 'username')}"
        f" FROM {room.db_table} r"
        f" LEFT JOIN {c.db_table} c ON c.{_col(c, 'clinic')} = r.{_col(room, 'clinic')}"
        f" AND c.{_col(c, 'state')} IN (%s, %s)"
        f" LEFT JOIN {yn.db_table} y ON y.{_col(yn, 'id')} = c.{_col(c, 'ydernummer')}"
        f" LEFT JOIN {user.db_table} u ON u.{_col(user, 'id')} = c.{_col(c, 'admitted_by')}"
        f" WHERE r.{_col(room, 'clinic')} = %s"
        f" ORDER BY c.{_col(c, 'queued_at')}, c.{_col(c, 'id')}"
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
    """What the clinic's pages get. One read serves all of them, whoever reads it (the
    sockets' thread, or a writer whose request is in another language): labels in the
    product's language."""
    with translation.override(settings.LANGUAGE_CODE):
        snapshot = clinic_snapshot(clinic_id)
    message = {"type": "snapshot", "seq": snapshot["seq"], "data": snapshot}
    return snapshot["seq"], json.dumps(message, separators=(",", ":"))


def _consultation_sql() -> str:
    """The consultation with its clinic, the room's sequence number and, while it waits, its
    queue number: those waiting ahead of it by queue time, then id, plus one."""
    c, room, clinic = Consultation._meta, WaitingRoom._meta, Clinic._meta

    queued_at, pk, clinic_id, state = (_col(c, n) for n in ("queued_at", "id", "clinic", "state"))
    ahead = (
        f"SELECT COUNT(*) FROM {c.db_table} a WHERE a.{clinic_id} = c.{clinic_id}"
        f" AND a.{state} = %s AND (a.{queued_at} < c.{queued_at}"
        f" OR (a.{queued_at} = c.{queued_at} AND a.{pk} < c.{pk}))"
    )
    return (
        f"SELECT c.{_col(c, 'seq')}, c.{state}, c.{_col(c, 'reject_message')},"
        f" r.{_col(room, 'seq')}, k.{_col(clinic, 'name')}, k.{_col(clinic, 'phone')},"
        f" CASE WHEN c.{state} = %s THEN ({ahead}) + 1 END"
        f" FROM {c.db_table} c"
        f" JOIN {clinic.db_table} k ON k.{_col(clinic, 'id')} = c.{clinic_id}"
        f" LEFT JOIN {room.db_table} r ON r.{_col(room, 'clinic')} = c.{clinic_id}"
        f" WHERE c.{pk} = %s"
    )


def _messages_sql() -> str:
    m = Message._meta
    text, at, pk, consultation = (_col(m, n) for n in ("text", "created_at", "id", "consultation"))
    return f"SELECT {text}, {at} FROM {m.db_table} WHERE {consultation} = %s ORDER BY {at}, {pk}"


_CONSULTATION_SQL = _consultation_sql()
_MESSAGES_SQL = _messages_sql()


def consultation_snapshot(consultation_id: int) -> dict[str, Any]:
    """What the waiting person's page shows: state, live queue number, messages. Plain SQL,
    two statements: a change ahead in the queue makes every page behind it read this, and
    through the ORM (a refresh and three queries) it took 1.5 ms instead of 0.05 (SQLite,
    in-process, two waiting and one message)."""
    with connection.cursor() as cursor:
        cursor.execute(_CONSULTATION_SQL, [S.QUEUED, S.QUEUED, consultation_id])
        row = cursor.fetchone()
        if row is None:
            raise Consultation.DoesNotExist(consultation_id)
        cursor.execute(_MESSAGES_SQL, [consultation_id])
        messages = cursor.fetchall()
    seq, state, reject_message, room_seq, clinic_name, clinic_phone, position = row
    notice = ""
    if state == S.CLEARED:
        notice = _("Lægen har lukket venteværelset, og køen er tømt. Ring til klinikken.")
    elif state == S.ABANDONED:
        notice = _("Du mistede din plads i køen, fordi forbindelsen var afbrudt for længe.")
    return {
        "id": consultation_id,
        "seq": seq,
        "room_seq": room_seq or 0,
        "state": state,
        "state_label": _labels(S).get(state, state),
        "position": position,
        "clinic_name": clinic_name,
        "clinic_phone": clinic_phone,
        "reject_message": reject_message,
        "notice": notice,
        "messages": [{"text": text, "at": _iso(_aware(at))} for text, at in messages],
    }
