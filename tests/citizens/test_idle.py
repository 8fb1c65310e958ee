"""A citizen is idle-locked after IDLE_TIMEOUT_SECONDS like an employee (they may be on a
shared tablet), except on the page of their consultation waiting in the queue; they lift the
lock by signing in again with MitID (no password here)."""

import time

from django.test import Client
from django.urls import reverse

from kontaktlaege.consultations import actions
from kontaktlaege.privacy import shared_device as sd
from tests.support.citizens import citizen_client, make_citizen
from tests.support.personas import World

RESUME = "/privatliv/genoptag/"


def _idle_for(client: Client, seconds: float) -> None:
    session = client.session
    session[sd.LAST_ACTIVITY] = time.time() - seconds
    session.save()


def test_an_idle_citizen_signs_in_again_with_mitid_but_keeps_waiting(
    world: World,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    inger = make_citizen()
    client = citizen_client(inger, world.cpr)
    c = actions.join_queue_by_citizen(
        inger, cpr=world.cpr, name="Inger Jensen", ydernummer=world.ydernummer, reason="Hoste"
    )
    page = reverse("citizens:consultation", args=[c.pk])
    assert client.get(page).status_code == 200
    _idle_for(client, settings.IDLE_TIMEOUT_SECONDS + 1)
    assert client.get(page).status_code == 200  # the wait may be long: told to stay on it
    _idle_for(client, settings.IDLE_TIMEOUT_SECONDS + 1)
    locked = client.get(reverse("citizens:start"))
    assert locked.status_code == 302 and locked["Location"].startswith(RESUME)
    resume = client.get(locked["Location"]).content.decode()
    assert 'href="/saml/bekraeft/?next=/borger/"' in resume


def test_a_citizens_video_call_is_use_of_the_device(
    world: World,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    """A call makes no requests: after the idle time in their own call the citizen can still
    end it (their account is the consultation's `citizen_account`, not its employee)."""
    inger = make_citizen()
    client = citizen_client(inger, world.cpr)
    c = actions.join_queue_by_citizen(
        inger, cpr=world.cpr, name="Inger Jensen", ydernummer=world.ydernummer, reason="Hoste"
    )
    actions.admit(world.gp, c.pk)
    _idle_for(client, settings.IDLE_TIMEOUT_SECONDS + 1)
    ended = client.post(reverse("citizens:end", args=[c.pk]), HTTP_ACCEPT="application/json")
    assert ended.status_code == 200 and ended.json() == {"ok": True}
