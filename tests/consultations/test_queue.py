"""Queue numbers: 1..n by the time people joined, per clinic, recomputed when someone ahead
leaves (cancels, is admitted or rejected)."""

from datetime import time, timedelta

import pytest
from django.utils import timezone, translation

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation, OpeningWindow, WaitingRoom
from kontaktlaege.consultations.snapshots import clinic_snapshot, consultation_snapshot
from tests.support import factories
from tests.support.personas import join_on_behalf

S = Consultation.State


def _join(world, n: int, ydernummer=None) -> list[Consultation]:  # type: ignore[no-untyped-def]
    """n employees' consultations joined one after the other."""
    queue = []
    for i in range(n):
        employee = factories.EmployeeFactory(municipality=world.carer.municipality)
        queue.append(
            actions.join_queue(
                employee, ydernummer=ydernummer or world.ydernummer, reason=f"Årsag nummer {i}"
            )
        )
    return queue


def _positions(queue: list[Consultation]) -> list[int | None]:
    """The queue numbers the waiting people's own pages show."""
    return [consultation_snapshot(c.pk)["position"] for c in queue]


def _snapshot_positions(clinic_id: int) -> dict[int, int | None]:
    return {e["id"]: e["position"] for e in clinic_snapshot(clinic_id)["entries"]}


def test_positions_are_one_to_n_in_order_of_joining(world) -> None:  # type: ignore[no-untyped-def]
    queue = _join(world, 4)
    assert _positions(queue) == [1, 2, 3, 4]
    assert _snapshot_positions(world.clinic.pk) == {c.pk: i + 1 for i, c in enumerate(queue)}


def test_position_follows_queue_time_not_creation_order(world) -> None:  # type: ignore[no-untyped-def]
    first, second = _join(world, 2)
    # The second one turns out to have queued earlier (e.g. a booked time placed first).
    Consultation.objects.filter(pk=second.pk).update(
        queued_at=first.queued_at - timedelta(seconds=30)
    )
    assert _positions([first, second]) == [2, 1]
    assert _snapshot_positions(world.clinic.pk) == {second.pk: 1, first.pk: 2}


def test_equal_queue_times_are_ordered_by_id(world) -> None:  # type: ignore[no-untyped-def]
    queue = _join(world, 3)
    Consultation.objects.filter(pk__in=[c.pk for c in queue]).update(queued_at=timezone.now())
    assert _positions(queue) == [1, 2, 3]
    assert _snapshot_positions(world.clinic.pk) == {c.pk: i + 1 for i, c in enumerate(queue)}


@pytest.mark.parametrize("leave", ["cancel", "admit", "reject"])
def test_positions_close_up_when_someone_ahead_leaves(world, leave) -> None:  # type: ignore[no-untyped-def]
    queue = _join(world, 4)
    second = queue[1]
    if leave == "cancel":
        actions.cancel(second.employee, second.pk)
    elif leave == "admit":
        actions.admit(world.gp, second.pk)
    else:
        actions.reject(world.secretary, second.pk, "Ring venligst i stedet")
    assert _positions(queue) == [1, None, 2, 3]
    snap = _snapshot_positions(world.clinic.pk)
    assert (snap[queue[0].pk], snap[queue[2].pk], snap[queue[3].pk]) == (1, 2, 3)
    # The admitted one stays on the clinic's list, without a queue number; others leave it.
    assert snap.get(second.pk, "absent") == (None if leave == "admit" else "absent")
    assert consultation_snapshot(queue[3].pk)["position"] == 3


def test_leaving_behind_does_not_move_those_ahead(world) -> None:  # type: ignore[no-untyped-def]
    queue = _join(world, 3)
    actions.cancel(queue[2].employee, queue[2].pk)
    assert _positions(queue) == [1, 2, None]


def test_positions_are_per_clinic(world) -> None:  # type: ignore[no-untyped-def]
    here = _join(world, 2)
    there = _join(world, 3, ydernummer=world.other_ydernummer)
    assert _positions(here) == [1, 2]
    assert _positions(there) == [1, 2, 3]
    actions.cancel(here[0].employee, here[0].pk)
    assert _positions(here) == [None, 1]
    assert _positions(there) == [1, 2, 3]
    assert set(_snapshot_positions(world.other_clinic.pk)) == {c.pk for c in there}


def test_two_ydernumre_of_one_clinic_share_one_queue(world) -> None:  # type: ignore[no-untyped-def]
    second_number = factories.YdernummerFactory(clinic=world.clinic)
    a = _join(world, 1)[0]
    b = _join(world, 1, ydernummer=second_number)[0]
    assert _positions([a, b]) == [1, 2]


# --- grace period ----------------------------------------------------------------------------


def test_abandon_stale_after_the_grace_period(world, settings) -> None:  # type: ignore[no-untyped-def]
    gone, present, running = _join(world, 3)
    actions.admit(world.gp, running.pk)
    now = timezone.now()
    grace = timedelta(seconds=settings.QUEUE_GRACE_SECONDS)
    Consultation.objects.filter(pk=gone.pk).update(away_since=now - grace - timedelta(seconds=1))
    Consultation.objects.filter(pk=present.pk).update(
        away_since=now - grace + timedelta(seconds=10)
    )
    room_seq = WaitingRoom.objects.get(clinic=world.clinic).seq

    assert actions.abandon_stale(now) == 1
    gone.refresh_from_db()
    assert gone.state == S.ABANDONED and gone.abandoned_at is not None
    assert "forbindelsen var afbrudt" in consultation_snapshot(gone.pk)["notice"]
    assert _positions([present, running]) == [1, None]
    running.refresh_from_db()
    assert running.state == S.ADMITTED  # a running call is not "abandoned"
    assert WaitingRoom.objects.get(clinic=world.clinic).seq == room_seq + 1
    audit = AuditEntry.objects.get(action="consultation_abandoned")
    assert audit.consultation_id == gone.pk and audit.actor is None
    assert audit.detail == {"grace_seconds": settings.QUEUE_GRACE_SECONDS}
    # Nothing more to do on a second round.
    assert actions.abandon_stale(now) == 0


def test_a_page_gone_silent_loses_the_place_a_grace_period_after_it_was_last_seen(  # type: ignore[no-untyped-def]
    world, settings
) -> None:
    """Its server process died: no close ever came, only the stamps stopped."""
    (c,) = _join(world, 1)
    old = timezone.now() - timedelta(seconds=settings.QUEUE_GRACE_SECONDS + 60)
    Consultation.objects.filter(pk=c.pk).update(last_seen_at=old)
    actions.pages_open([c.pk])  # a page of it is open after all: stamped
    assert actions.abandon_stale() == 0
    c.refresh_from_db()
    assert c.state == S.QUEUED and c.last_seen_at > old and c.away_since is None
    Consultation.objects.filter(pk=c.pk).update(last_seen_at=old)
    assert actions.abandon_stale() == 1
    c.refresh_from_db()
    assert c.away_since == old


def test_clinic_snapshot_labels_are_in_the_active_language(world) -> None:  # type: ignore[no-untyped-def]
    waiting, admitted = _join(world, 2)
    actions.admit(world.gp, admitted.pk)

    def labels() -> dict[int, tuple[str, str]]:
        entries = clinic_snapshot(world.clinic.pk)["entries"]
        return {e["id"]: (e["kind_label"], e["state_label"]) for e in entries}

    assert labels() == {
        waiting.pk: ("Medarbejder uden borger", "I kø"),
        admitted.pk: ("Medarbejder uden borger", "I konsultation"),
    }
    with translation.override("en"):
        assert labels() == {
            waiting.pk: ("Employee without citizen", "In queue"),
            admitted.pk: ("Employee without citizen", "In consultation"),
        }


def test_clinic_snapshot_shows_each_entry_as_the_clinic_sees_it(world) -> None:  # type: ignore[no-untyped-def]
    on_behalf = join_on_behalf(world, "Hoste i tre uger")
    admitted = actions.join_queue(world.carer2, ydernummer=world.ydernummer, reason="Sår")
    actions.admit(world.gp, admitted.pk)
    waiting = actions.join_queue(world.foreign_carer, ydernummer=world.ydernummer, reason="Uro")
    actions.join_queue(world.carer, ydernummer=world.other_ydernummer, reason="Anden klinik")
    Consultation.objects.filter(pk=waiting.pk).update(away_since=timezone.now())
    for c in (on_behalf, admitted):
        c.refresh_from_db()

    snap = clinic_snapshot(world.clinic.pk)

    room = WaitingRoom.objects.get(clinic=world.clinic)
    assert (snap["seq"], snap["open"], snap["mode"], snap["mode_label"]) == (
        room.seq,
        True,
        "open",
        "Åben",
    )
    first, second, third = snap["entries"]
    assert first == {
        "id": on_behalf.pk,
        "kind": "on_behalf",
        "kind_label": on_behalf.get_kind_display(),
        "state": "queued",
        "state_label": "I kø",
        "position": 1,
        "citizen_name": "Inger Jensen",
        "citizen_cpr": f"{world.cpr[:6]}-{world.cpr[6:]}",
        "employee_name": "Mette Sørensen",
        "employee_role": "Social- og sundhedshjælper",
        "employee_workplace": "Hjemmeplejen Nord",
        "ydernummer": "012345",
        "doctor": "Anne Holm",
        "reason": "Hoste i tre uger",
        "queued_at": on_behalf.queued_at.isoformat(),
        "admitted_at": None,
        "admitted_by": "",
        "connected": True,
        "booked_for": None,
        "booked_label": "",
        "phone_fallback": False,
    }
    assert (second["id"], second["state"], second["position"]) == (admitted.pk, "admitted", None)
    assert second["admitted_at"] == admitted.admitted_at.isoformat()
    assert second["admitted_by"] == "Anne Holm"
    assert (second["citizen_name"], second["citizen_cpr"]) == ("", "")
    assert (third["id"], third["position"], third["connected"]) == (waiting.pk, 2, False)


def test_clinic_snapshot_of_a_room_open_by_its_hours(world) -> None:  # type: ignore[no-untyped-def]
    room = WaitingRoom.objects.get(clinic=world.clinic)
    room.mode = WaitingRoom.Mode.SCHEDULE
    room.save()
    now = timezone.localtime()
    OpeningWindow.objects.create(
        waiting_room=room, weekday=now.weekday(), start=time(0), end=time(23, 59, 59, 999999)
    )
    snap = clinic_snapshot(world.clinic.pk)
    assert (snap["mode"], snap["open"], snap["entries"]) == ("schedule", True, [])
    OpeningWindow.objects.update(weekday=(now.weekday() + 1) % 7)
    assert clinic_snapshot(world.clinic.pk)["open"] is False


def test_consultation_snapshot_shows_what_the_waiting_person_sees(world) -> None:  # type: ignore[no-untyped-def]
    ahead = actions.join_queue(world.carer2, ydernummer=world.ydernummer, reason="Først")
    mine = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Hoste")
    actions.join_queue(world.carer, ydernummer=world.other_ydernummer, reason="Anden klinik")
    actions.send_message(world.gp, mine.pk, "Jeg kommer om 5 minutter")
    actions.send_message(world.secretary, mine.pk, "Lægen er forsinket")
    mine.refresh_from_db()

    snap = consultation_snapshot(mine.pk)

    sent = list(mine.messages.order_by("created_at", "id"))
    assert snap == {
        "id": mine.pk,
        "seq": mine.seq,
        "room_seq": WaitingRoom.objects.get(clinic=world.clinic).seq,
        "room_closed": False,
        "state": "queued",
        "state_label": "I kø",
        "position": 2,
        "clinic_name": "Lægehuset Nørrebro",
        "clinic_phone": "70 10 20 30",
        "reject_message": "",
        "phone_fallback": False,
        "notice": "",
        "messages": [{"text": m.text, "at": m.created_at.isoformat()} for m in sent],
    }
    assert [m["text"] for m in snap["messages"]] == [
        "Jeg kommer om 5 minutter",
        "Lægen er forsinket",
    ]
    actions.reject(world.gp, mine.pk, "Ring til klinikken i morgen")
    snap = consultation_snapshot(mine.pk)
    assert (snap["state"], snap["position"], snap["reject_message"]) == (
        "rejected",
        None,
        "Ring til klinikken i morgen",
    )
    assert consultation_snapshot(ahead.pk)["position"] == 1
