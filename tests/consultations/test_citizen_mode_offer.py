""" "Borgertilstand" is offered, and allowed, only while the consultation runs (admitted): a
queued, ended, rejected or cancelled one has no call to lock the tablet to."""

import pytest
from django.urls import reverse

from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation

S = Consultation.State
OFFER = "Borgertilstand: lås enheden til konsultationen"


def _in(world, state: str) -> Consultation:  # type: ignore[no-untyped-def]
    c = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Hoste og feber")
    if state in (S.ADMITTED, S.ENDED):
        actions.admit(world.gp, c.pk)
    if state == S.ENDED:
        actions.end(world.carer, c.pk)
    if state == S.REJECTED:
        actions.reject(world.gp, c.pk, "Ring i morgen")
    if state == S.CANCELLED:
        actions.cancel(world.carer, c.pk)
    return c


@pytest.mark.parametrize("state", [S.ENDED, S.REJECTED, S.CANCELLED])
def test_not_offered_nor_allowed_after_the_consultation(world, as_user, state) -> None:  # type: ignore[no-untyped-def]
    c = _in(world, state)
    carer = as_user(world.carer)
    page = carer.get(reverse("consultations:consultation", args=[c.pk]))
    assert page.status_code == 200 and OFFER not in page.content.decode()
    response = carer.post(reverse("privacy:citizen_mode_on", args=[c.pk]))
    assert response.status_code == 404
    assert "kl_citizen_mode" not in carer.session


def test_not_allowed_while_queued(world, as_user) -> None:  # type: ignore[no-untyped-def]
    c = _in(world, S.QUEUED)
    carer = as_user(world.carer)
    assert carer.post(reverse("privacy:citizen_mode_on", args=[c.pk])).status_code == 404


def test_offered_and_allowed_while_running(world, as_user) -> None:  # type: ignore[no-untyped-def]
    c = _in(world, S.ADMITTED)
    carer = as_user(world.carer)
    page = reverse("consultations:consultation", args=[c.pk])
    assert OFFER in carer.get(page).content.decode()
    response = carer.post(reverse("privacy:citizen_mode_on", args=[c.pk]))
    assert response.status_code == 302 and response.url == page
    assert carer.session["kl_citizen_mode"] == c.pk
    assert OFFER not in carer.get(page).content.decode()  # locked already
