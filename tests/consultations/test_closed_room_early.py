"""A closed waiting room, or a clinic not offering video, is said at the CPR / ydernummer
step, with the clinic's phone as plan B: not after the consent, the device check and the
reason."""

from datetime import time

import pytest
from django.urls import reverse
from django.utils import timezone

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import OpeningWindow, WaitingRoom
from kontaktlaege.consultations.views import DRAFT

CITIZEN_URL = reverse("consultations:citizen")
YDERNUMMER_URL = reverse("consultations:by_ydernummer")
CLOSED = "Lægens venteværelse er lukket lige nu. Ring til klinikken på 70 10 20 30."


def _close(world, mode: str = WaitingRoom.Mode.CLOSED) -> None:  # type: ignore[no-untyped-def]
    actions.set_mode(world.gp, mode)
    if mode == WaitingRoom.Mode.SCHEDULE:  # a window on another weekday only
        room = WaitingRoom.objects.get(clinic=world.clinic)
        other_day = (timezone.localtime().weekday() + 1) % 7
        OpeningWindow.objects.create(
            waiting_room=room, weekday=other_day, start=time(8), end=time(9)
        )


@pytest.mark.parametrize("mode", [WaitingRoom.Mode.CLOSED, WaitingRoom.Mode.SCHEDULE])
def test_said_at_the_cpr_step(world, as_user, mode) -> None:  # type: ignore[no-untyped-def]
    _close(world, mode)
    carer = as_user(world.carer)
    response = carer.post(CITIZEN_URL, {"cpr": world.cpr, "consent": "on"})
    assert response.status_code == 200  # the form again, not the device check
    assert response.context["form"].errors["cpr"] == [CLOSED]
    assert CLOSED in response.content.decode()
    assert DRAFT not in carer.session
    assert not AuditEntry.objects.filter(action="on_behalf_login").exists()


@pytest.mark.parametrize("confirm", [False, True])
def test_said_at_the_ydernummer_step(world, as_user, confirm) -> None:  # type: ignore[no-untyped-def]
    _close(world)
    carer = as_user(world.carer)
    data = {"ydernummer": world.ydernummer.number} | ({"confirm": "1"} if confirm else {})
    response = carer.post(YDERNUMMER_URL, data)
    assert response.status_code == 200
    assert response.context["form"].errors["ydernummer"] == [CLOSED]
    assert DRAFT not in carer.session


def test_a_clinic_without_video_gives_its_phone_at_the_ydernummer_step(world, as_user) -> None:  # type: ignore[no-untyped-def]
    world.clinic.offers_video = False
    world.clinic.save()
    response = as_user(world.carer).post(YDERNUMMER_URL, {"ydernummer": world.ydernummer.number})
    assert response.context["form"].errors["ydernummer"] == [
        "Lægen tilbyder ikke videokonsultation. Ring til klinikken på 70 10 20 30."
    ]


def test_an_open_room_goes_on_to_the_device_check(world, as_user) -> None:  # type: ignore[no-untyped-def]
    carer = as_user(world.carer)
    response = carer.post(CITIZEN_URL, {"cpr": world.cpr, "consent": "on"})
    assert response.status_code == 302 and response.url == reverse("videocheck:device_check")
