""" "Luk og behold køen": the people already waiting are told that the room is closed for new
arrivals and that they keep their place; their pages are hinted to re-read."""

from django.urls import reverse

from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation, WaitingRoom
from kontaktlaege.consultations.snapshots import consultation_snapshot

NOTICE = "Lægen har lukket venteværelset for nye. Du beholder din plads i køen."


def test_closing_keeping_the_queue_tells_those_waiting(world, as_user) -> None:  # type: ignore[no-untyped-def]
    waiting = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Hoste")
    running = actions.join_queue(world.carer2, ydernummer=world.ydernummer, reason="Sår")
    actions.admit(world.gp, running.pk)
    running.refresh_from_db()
    assert consultation_snapshot(waiting.pk)["room_closed"] is False
    before = Consultation.objects.get(pk=waiting.pk).seq

    actions.set_mode(world.gp, WaitingRoom.Mode.CLOSED)

    snap = consultation_snapshot(waiting.pk)
    assert (snap["state"], snap["position"], snap["room_closed"]) == ("queued", 1, True)
    # The waiting page's own sequence number moves, so its hint makes it re-read.
    assert snap["seq"] == before + 1
    assert Consultation.objects.get(pk=running.pk).seq == running.seq  # not waiting: untouched
    page = as_user(world.carer).get(reverse("consultations:consultation", args=[waiting.pk]))
    html = page.content.decode()
    assert NOTICE in html and 'id="room-closed" role="status" hidden' not in html

    actions.set_mode(world.gp, WaitingRoom.Mode.OPEN)
    assert consultation_snapshot(waiting.pk)["room_closed"] is False
    html = as_user(world.carer).get(reverse("consultations:consultation", args=[waiting.pk]))
    assert 'id="room-closed" role="status" hidden' in html.content.decode()


def test_a_mode_change_that_keeps_the_room_open_does_not_bump(world) -> None:  # type: ignore[no-untyped-def]
    waiting = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Hoste")
    actions.set_mode(world.gp, WaitingRoom.Mode.OPEN)
    assert Consultation.objects.get(pk=waiting.pk).seq == waiting.seq
