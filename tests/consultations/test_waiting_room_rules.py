"""Open/close rules of a clinic's waiting room: open now, closed, or a weekly schedule in
Danish local time; closing keeps or clears the queue; clinics without video refuse."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation, OpeningWindow, WaitingRoom
from kontaktlaege.consultations.snapshots import clinic_snapshot, consultation_snapshot

CPH = ZoneInfo("Europe/Copenhagen")
UTC = ZoneInfo("UTC")
S = Consultation.State


def _room(world, mode: str) -> WaitingRoom:  # type: ignore[no-untyped-def]
    room = WaitingRoom.objects.get(clinic=world.clinic)
    room.mode = mode
    room.save()
    return room


def _join(world, employee=None) -> Consultation:  # type: ignore[no-untyped-def]
    return actions.join_queue(
        employee or world.carer, ydernummer=world.ydernummer, reason="Feber og hoste"
    )


def test_open_and_closed_modes_ignore_the_schedule(world) -> None:  # type: ignore[no-untyped-def]
    room = _room(world, WaitingRoom.Mode.OPEN)
    OpeningWindow.objects.create(waiting_room=room, weekday=0, start=time(8), end=time(9))
    sunday_night = datetime(2025, 3, 9, 23, 0, tzinfo=CPH)
    monday_morning = datetime(2025, 3, 10, 8, 30, tzinfo=CPH)
    assert room.is_open(sunday_night)
    room.mode = WaitingRoom.Mode.CLOSED
    assert not room.is_open(monday_morning)


# 2025-01-14 and 2025-07-15 are Tuesdays, one in winter time (UTC+1), one in summer (UTC+2).
@pytest.mark.parametrize("day", [(2025, 1, 14), (2025, 7, 15)])
@pytest.mark.parametrize(
    "local, expected",
    [
        (time(7, 59, 59), False),
        (time(8, 0), True),
        (time(11, 30), True),
        (time(14, 59, 59), True),
        (time(15, 0), False),
        (time(20, 0), False),
    ],
)
def test_schedule_window_edges_in_copenhagen_time(world, day, local, expected) -> None:  # type: ignore[no-untyped-def]
    room = _room(world, WaitingRoom.Mode.SCHEDULE)
    OpeningWindow.objects.create(
        waiting_room=room, weekday=OpeningWindow.Weekday.TUESDAY, start=time(8), end=time(15)
    )
    at = datetime(*day, local.hour, local.minute, local.second, tzinfo=CPH)
    assert room.is_open(at) is expected
    # The same instant given in UTC: the window is read in Danish wall-clock time.
    assert room.is_open(at.astimezone(UTC)) is expected


def test_schedule_is_closed_on_another_weekday(world) -> None:  # type: ignore[no-untyped-def]
    room = _room(world, WaitingRoom.Mode.SCHEDULE)
    OpeningWindow.objects.create(waiting_room=room, weekday=1, start=time(8), end=time(15))
    wednesday = datetime(2025, 1, 15, 10, 0, tzinfo=CPH)
    assert not room.is_open(wednesday)
    OpeningWindow.objects.create(waiting_room=room, weekday=2, start=time(9), end=time(11))
    assert room.is_open(wednesday)


def test_utc_instant_on_the_previous_day_counts_as_the_local_day(world) -> None:  # type: ignore[no-untyped-def]
    room = _room(world, WaitingRoom.Mode.SCHEDULE)
    OpeningWindow.objects.create(waiting_room=room, weekday=1, start=time(0), end=time(1))
    # Monday 23:30 UTC is Tuesday 00:30 in Copenhagen (winter).
    assert room.is_open(datetime(2025, 1, 13, 23, 30, tzinfo=UTC))


def test_schedule_without_windows_is_closed(world) -> None:  # type: ignore[no-untyped-def]
    room = _room(world, WaitingRoom.Mode.SCHEDULE)
    assert not room.is_open(datetime(2025, 1, 14, 10, 0, tzinfo=CPH))


def test_join_follows_the_schedule_now(world) -> None:  # type: ignore[no-untyped-def]
    room = _room(world, WaitingRoom.Mode.SCHEDULE)
    today = timezone.localtime().weekday()
    whole_day = (time(0), time(23, 59, 59, 999999))
    OpeningWindow.objects.create(
        waiting_room=room, weekday=(today + 1) % 7, start=whole_day[0], end=whole_day[1]
    )
    with pytest.raises(actions.ActionError):
        _join(world)
    OpeningWindow.objects.create(
        waiting_room=room, weekday=today, start=whole_day[0], end=whole_day[1]
    )
    assert _join(world).state == S.QUEUED


def test_join_refused_when_closed_with_the_clinic_phone(world) -> None:  # type: ignore[no-untyped-def]
    _room(world, WaitingRoom.Mode.CLOSED)
    with pytest.raises(actions.ActionError) as excinfo:
        _join(world)
    message = str(excinfo.value)
    assert "lukket" in message and world.clinic.phone in message
    assert not Consultation.objects.exists()
    assert not AuditEntry.objects.filter(action="consultation_queued").exists()


def test_clinic_without_video_refuses(world) -> None:  # type: ignore[no-untyped-def]
    world.clinic.offers_video = False
    world.clinic.save()
    with pytest.raises(actions.ActionError, match="tilbyder ikke videokonsultation"):
        _join(world)
    assert not Consultation.objects.exists()


def test_close_keeping_the_queue_keeps_the_entries(world) -> None:  # type: ignore[no-untyped-def]
    a, b = _join(world), _join(world, world.carer2)
    actions.set_mode(world.gp, WaitingRoom.Mode.CLOSED)
    for c in (a, b):
        c.refresh_from_db()
        assert c.state == S.QUEUED and c.cleared_at is None
    snap = clinic_snapshot(world.clinic.pk)
    assert snap["open"] is False and snap["mode"] == "closed"
    assert [e["id"] for e in snap["entries"]] == [a.pk, b.pk]
    # The doctor can still admit people who were already waiting.
    actions.admit(world.gp, a.pk)


def test_close_and_clear_moves_everyone_waiting_to_cleared(world) -> None:  # type: ignore[no-untyped-def]
    running, a, b = _join(world), _join(world, world.carer2), _join(world, world.foreign_carer)
    actions.admit(world.gp, running.pk)
    room_seq = WaitingRoom.objects.get(clinic=world.clinic).seq
    other = actions.join_queue(
        world.carer, ydernummer=world.other_ydernummer, reason="Anden klinik"
    )
    actions.set_mode(world.secretary, WaitingRoom.Mode.CLOSED, clear_queue=True)
    for c in (a, b):
        c.refresh_from_db()
        assert c.state == S.CLEARED and c.cleared_at is not None and c.seq == 2
        assert "lukket" in consultation_snapshot(c.pk)["notice"]  # everyone waiting is told
    running.refresh_from_db()
    other.refresh_from_db()
    assert running.state == S.ADMITTED  # a running call is not cut off
    assert other.state == S.QUEUED  # another clinic's queue is untouched
    assert WaitingRoom.objects.get(clinic=world.clinic).seq == room_seq + 1
    assert AuditEntry.objects.filter(action="consultation_cleared").count() == 2
    closed = AuditEntry.objects.get(action="waiting_room_closed")
    assert closed.detail == {"cleared": 2} and closed.actor == world.secretary
    assert [e["id"] for e in clinic_snapshot(world.clinic.pk)["entries"]] == [running.pk]


def test_unknown_mode_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(actions.ActionError, match="Ukendt status"):
        actions.set_mode(world.gp, "half-open")
    assert WaitingRoom.objects.get(clinic=world.clinic).mode == WaitingRoom.Mode.OPEN


def test_reopening_lets_people_join_again(world) -> None:  # type: ignore[no-untyped-def]
    actions.set_mode(world.gp, WaitingRoom.Mode.CLOSED)
    with pytest.raises(actions.ActionError):
        _join(world)
    actions.set_mode(world.gp, WaitingRoom.Mode.OPEN)
    assert _join(world).state == S.QUEUED
