"""A double tap on "Start og stil i kø" queues once: every submit of one draft, concurrent or
repeated, lands on the page of the same consultation."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import reverse

from kontaktlaege.consultations.models import Consultation
from kontaktlaege.consultations.views import DRAFT

REASON_URL = reverse("consultations:reason")
TAPS = 5


def _draft(carer: Client, world, flow: str) -> str:  # type: ignore[no-untyped-def]
    """Prepare a call up to the reason page; the draft's token as the page holds it."""
    if flow == "on_behalf":
        carer.post(reverse("consultations:citizen"), {"cpr": world.cpr, "consent": "on"})
    else:
        carer.post(
            reverse("consultations:by_ydernummer"),
            {"ydernummer": world.ydernummer.number, "confirm": "1"},
        )
    page = carer.get(REASON_URL).content.decode()
    found = re.search(r'name="draft_token" value="([^"]+)"', page)
    assert found, "the reason page carries the draft's token"
    return found[1]


def _same_session(carer: Client) -> Client:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = carer.cookies[settings.SESSION_COOKIE_NAME].value
    return client


@pytest.mark.parametrize("flow", ["without_citizen", "on_behalf"])
def test_concurrent_submits_of_one_draft_queue_once(world, as_user, transactional_db, flow) -> None:  # type: ignore[no-untyped-def]
    carer = as_user(world.carer)
    token = _draft(carer, world, flow)
    data = {"reason": "Borgeren har feber og hoster.", "draft_token": token}
    start = threading.Barrier(TAPS)

    def tap(client: Client):  # type: ignore[no-untyped-def]
        try:
            start.wait()
            return client.post(REASON_URL, data)
        finally:
            connections.close_all()

    clients = [_same_session(carer) for _ in range(TAPS)]
    with ThreadPoolExecutor(TAPS) as pool:
        responses = list(pool.map(tap, clients))

    consultation = Consultation.objects.get()
    page = reverse("consultations:consultation", args=[consultation.pk])
    assert [(r.status_code, r.get("Location")) for r in responses] == [(302, page)] * TAPS
    # One more tap after all of them were answered: still the same page, no new entry.
    again = carer.post(REASON_URL, data)
    assert (again.status_code, again.get("Location")) == (302, page)
    assert Consultation.objects.count() == 1
    assert DRAFT not in carer.session


def test_a_new_draft_queues_anew(world, as_user) -> None:  # type: ignore[no-untyped-def]
    """The token belongs to one draft: the next call prepared is queued as its own."""
    carer = as_user(world.carer)
    first = _draft(carer, world, "without_citizen")
    carer.post(REASON_URL, {"reason": "Første opkald", "draft_token": first})
    second = _draft(carer, world, "without_citizen")
    assert second != first
    carer.post(REASON_URL, {"reason": "Andet opkald", "draft_token": second})
    assert Consultation.objects.count() == 2


def test_a_token_of_someone_else_does_not_lead_to_their_consultation(world, as_user) -> None:  # type: ignore[no-untyped-def]
    carer = as_user(world.carer)
    token = _draft(carer, world, "without_citizen")
    carer.post(REASON_URL, {"reason": "Mettes opkald", "draft_token": token})
    other = as_user(world.carer2)
    response = other.post(REASON_URL, {"reason": "Alis opkald", "draft_token": token})
    assert response.get("Location") == reverse("consultations:employee_start")
    assert Consultation.objects.count() == 1
