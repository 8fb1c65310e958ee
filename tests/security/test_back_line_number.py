"""The back-line number ("bagomnummer", issue 32) is for municipal employees and the clinic's
own staff only: it is on their doctor cards, and on no page or socket message that a
citizen (a signed-out browser, or the employee's device locked in citizen mode) or an
invitee (a relative or interpreter with a link) can reach."""

from datetime import date
from typing import Any

import pytest
from channels.layers import channel_layers
from django.test import Client

from kontaktlaege.consultations import actions as consultation_actions
from kontaktlaege.doctorinfo import actions
from tests.consultations.test_sockets import WAIT, run, socket
from tests.security.test_authorization_matrix import fill, urls
from tests.support.personas import World, join_on_behalf
from tests.support.signin import verified_client

BACK_LINE = "33 91 82 73"
OTHER_BACK_LINE = "46 55 64 73"
SUBSTITUTE_PHONE = "36 44 55 66"


def needles(text: str) -> list[str]:
    return [n for n in (BACK_LINE, BACK_LINE.replace(" ", "")) if n in text]


def with_back_lines(world: World) -> None:
    actions.set_details(
        world.gp, world.ydernummer, back_line_phone=BACK_LINE, closed_on_optional=True
    )
    actions.set_details(
        world.other_gp,
        world.other_ydernummer,
        back_line_phone=OTHER_BACK_LINE,
        closed_on_optional=True,
    )


def running_with_guest(world: World) -> tuple[Any, Client, list[str]]:
    """An admitted consultation on behalf of a citizen, and an invitee who has joined it;
    with what the invitee's browser was shown on the way in."""
    c = join_on_behalf(world, "Hævet ankel")
    consultation_actions.admit(world.gp, c.pk)
    made = verified_client(world.gp).post(
        f"/klinik/konsultation/{c.pk}/video/inviter/", HTTP_ACCEPT="application/json"
    )
    link = made.json()["url"]
    guest = Client()
    seen = [guest.get(link).content.decode()]
    joined = guest.post(link, {"name": "Tolk Hansen"}, follow=True)
    seen.append(joined.content.decode())
    assert joined.status_code == 200
    seen.append(guest.get("/video/gaest/").content.decode())
    seen.append(guest.get("/forbindelsestest/").content.decode())
    return c, guest, seen


def every_page(client: Client, object_id: int) -> dict[str, str]:
    pages = {}
    for name, route in urls():
        path = fill(route, object_id)
        pages[f"GET {path} ({name})"] = client.get(path, follow=True).content.decode()
    return pages


@pytest.mark.django_db
def test_employees_and_the_clinic_see_it_on_their_doctor_cards(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    with_back_lines(world)
    # After the CPR look-up, on the page where the reason is written.
    carer = as_user(world.carer)
    found = carer.post("/medarbejder/borger/", {"cpr": world.cpr, "consent": "on"})
    assert found.status_code == 302
    assert needles(carer.get("/medarbejder/aarsag/").content.decode())
    # Any municipality's employee, in the ydernummer flow.
    foreign = as_user(world.foreign_carer)
    confirm = foreign.post("/medarbejder/ydernummer/", {"ydernummer": "012345"})
    assert needles(confirm.content.decode())
    # The clinic's own staff; another clinic's staff see their own number, not this one.
    assert needles(as_user(world.secretary).get("/klinik/laegeinfo/").content.decode())
    other = as_user(world.other_gp).get("/klinik/laegeinfo/").content.decode()
    assert OTHER_BACK_LINE in other and not needles(other)


@pytest.mark.django_db
def test_no_page_a_citizen_or_invitee_can_reach_shows_it(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    with_back_lines(world)
    # The clinic is away with a substitute: the most there is to show.
    actions.add_absence(
        world.gp,
        world.ydernummer,
        starts=date(2020, 1, 1),
        ends=date(2099, 12, 31),
        substitute=actions.Substitute("Peter Lund", "Lægerne i Valby", SUBSTITUTE_PHONE),
    )
    c, guest, seen = running_with_guest(world)
    leaks = [f"invitee's way in, page {i}" for i, html in enumerate(seen) if needles(html)]

    # A citizen at a signed-out browser, and the invitee, try every URL of the product.
    for who, client in (("signed out", Client()), ("invitee", guest)):
        pages = every_page(client, c.pk)
        leaks += [f"{who}: {page}" for page, html in pages.items() if needles(html)]

    # The employee's device locked to the call in citizen mode: the citizen holds it.
    device = as_user(world.carer)
    assert device.post(f"/privatliv/borgertilstand/{c.pk}/").status_code == 302
    pages = every_page(device, c.pk)
    assert any("Borgertilstand" in html for html in pages.values())  # the lock is on
    leaks += [f"citizen mode: {page}" for page, html in pages.items() if needles(html)]
    assert not leaks, leaks


@pytest.mark.django_db(transaction=True)
def test_no_socket_message_a_citizen_or_invitee_receives_carries_it(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SEQ_POLL_SECONDS = 3600  # only what the sockets say of themselves
    channel_layers.backends.clear()  # this test's event loop gets its own in-memory layer
    with_back_lines(world)
    c, guest, _seen = running_with_guest(world)
    device = verified_client(world.carer)
    device.post(f"/privatliv/borgertilstand/{c.pk}/")
    frames: list[str] = []

    async def scenario() -> None:
        waiting = socket(f"/ws/konsultation/{c.pk}/", device)
        call = socket(f"/ws/video/{c.pk}/?peer=guest-peer-1", guest)
        device_call = socket(f"/ws/video/{c.pk}/?peer=device-peer-1", device)
        for s in (waiting, call, device_call):
            assert (await s.connect(timeout=WAIT))[0]
        for s in (waiting, call, device_call):
            while not await s.receive_nothing(timeout=1):
                frames.append(await s.receive_from(timeout=WAIT))
            await s.disconnect()

    run(scenario)
    assert frames  # they did hear the call's state
    assert not [f for f in frames if needles(f)]
