"""The doctor card in the employee's flow (issue 32): after the CPR look-up and in the
ydernummer flow, before the reason is written; a closed clinic says so with the next time it
opens; in Danish and English."""

from datetime import time, timedelta

from django.utils import timezone

from kontaktlaege.consultations.actions import set_mode
from kontaktlaege.consultations.models import WaitingRoom
from kontaktlaege.doctorinfo import actions
from tests.support.personas import World


def away_for_three_days(world: World) -> None:
    today = timezone.localdate()
    every_day = [(d, time(8), time(16)) for d in range(7)]
    actions.set_opening_hours(world.gp, world.ydernummer, every_day)
    actions.set_details(
        world.gp, world.ydernummer, back_line_phone="33 91 82 73", closed_on_optional=False
    )
    actions.add_absence(
        world.gp,
        world.ydernummer,
        starts=today,
        ends=today + timedelta(days=2),
        substitute=actions.Substitute("Peter Lund", "Lægerne i Valby", "36 44 55 66"),
    )


def test_the_reason_page_shows_the_card_above_the_reason(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    away_for_three_days(world)
    carer = as_user(world.carer)
    found = carer.post("/medarbejder/borger/", {"cpr": world.cpr, "consent": "on"})
    # Away: said at the look-up, before the device check, with the way on.
    assert found.status_code == 200
    said = found.content.decode()
    assert "Lægen er fraværende til og med" in said and "36 44 55 66" in said
    assert 'href="/medarbejder/udstyrstjek/"' in said
    html = carer.get("/medarbejder/aarsag/").content.decode()
    card, reason = html.index('id="doctor-card"'), html.index('name="reason"')
    assert card < reason
    for text in ("Lægen er fraværende til og med", "Peter Lund", "36 44 55 66", "33 91 82 73"):
        assert text in html[card:reason]
    assert "Åbner igen" in html[card:reason] and "kl. 08:00" in html[card:reason]


def test_a_clinic_not_away_goes_straight_to_the_device_check(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    # No hours told (so no holiday closes them either) and no absence: nothing to stop for.
    actions.set_details(world.gp, world.ydernummer, back_line_phone="1", closed_on_optional=True)
    found = as_user(world.carer).post("/medarbejder/borger/", {"cpr": world.cpr, "consent": "on"})
    assert found.status_code == 302 and found["Location"] == "/medarbejder/udstyrstjek/"


def test_a_closed_waiting_room_shows_the_card_with_the_lookup(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    away_for_three_days(world)
    set_mode(world.gp, WaitingRoom.Mode.CLOSED)
    carer = as_user(world.carer)
    page = carer.post("/medarbejder/borger/", {"cpr": world.cpr, "consent": "on"})
    html = page.content.decode()
    assert page.status_code == 200 and "Lægens venteværelse er lukket lige nu" in html
    assert 'id="doctor-card"' in html and "Nej, venteværelset er lukket" in html
    assert "Peter Lund" in html and "Åbner igen" in html
    # The same in the ydernummer flow.
    other = as_user(world.foreign_carer).post("/medarbejder/ydernummer/", {"ydernummer": "012345"})
    assert "Lægens venteværelse er lukket lige nu" in other.content.decode()
    assert "Peter Lund" in other.content.decode()


def test_the_ydernummer_flow_shows_the_card_in_english_too(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    away_for_three_days(world)
    carer = as_user(world.carer)
    danish = carer.post("/medarbejder/ydernummer/", {"ydernummer": "012345"}).content.decode()
    assert "Er det den rigtige læge?" in danish and "Før du ringer" in danish
    assert "Ja, venteværelset er åbent" in danish and "Peter Lund" in danish
    english = carer.post(
        "/medarbejder/ydernummer/", {"ydernummer": "012345"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Before you call" in english and "The doctor is absent until and including" in english
    assert "Back-line number (staff only)" in english and "Opens again" in english
    assert "Før du ringer" not in english


def test_without_any_information_the_card_says_so(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    html = (
        as_user(world.carer)
        .post("/medarbejder/ydernummer/", {"ydernummer": "012345"})
        .content.decode()
    )
    assert "Ikke oplyst" in html and "Bagomnummer" not in html
    assert "70 10 20 30" in html
