"""The clinic's live waiting room in a real browser (PRODUCT.md §3.3): admit, messages, calls
continued by phone, close and clear, and a page cut off from the server (a closed socket, or a
network that drops silently) that catches up when it comes back."""

import re
import threading
import urllib.parse

import pytest
from playwright.sync_api import WebSocketRoute, expect

from tests.support.loopback import FlakyLink
from tests.support.personas import World

from .conftest import NewPerson, open_waiting_room, queue_on_behalf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Keeps every text the connection status shows, in window.klStatuses.
WATCH_STATUS = """() => {
  const status = document.getElementById("connection");
  window.klStatuses = [];
  new MutationObserver(() => window.klStatuses.push(status.textContent))
    .observe(status, { childList: true, characterData: true, subtree: true });
}"""


def test_admit_and_message_a_waiting_person(world: World, person: NewPerson) -> None:
    doctor = person()
    doctor.sign_in(world.gp)
    open_waiting_room(doctor)
    secretary = person()  # the same clinic's shared queue, on another desk
    secretary.sign_in(world.secretary)
    open_waiting_room(secretary)
    secretary.mark()

    first = person()
    first.sign_in(world.carer)
    queue_on_behalf(first, world.cpr, "Blodtryk skal justeres")
    second = person()
    second.sign_in(world.carer2)
    queue_on_behalf(second, world.cpr2, "Udslæt på armene")
    first.mark()
    second.mark()

    for staff in (doctor, secretary):
        expect(staff.page.locator("#entries > li")).to_have_count(2)
        expect(staff.page).to_have_title(re.compile(r"^\(2\) "))

    doctor.page.locator("#entries > li").filter(has_text="Inger Jensen").get_by_role(
        "button", name="Start"
    ).click()

    entries = secretary.page.locator("#entries > li")
    inger = entries.filter(has_text="Inger Jensen")
    poul = entries.filter(has_text="Poul Nielsen")
    expect(inger.locator(".state")).to_have_text("I konsultation (Anne Holm)")
    expect(inger.get_by_role("button", name="Start")).to_be_hidden()
    expect(inger.get_by_role("button", name="Afslut konsultation")).to_be_visible()
    expect(secretary.page).to_have_title(re.compile(r"^\(1\) "))
    expect(first.page.get_by_text("Lægen har startet videokonsultationen.")).to_be_visible()
    expect(first.page.get_by_role("button", name="Forlad køen")).to_be_hidden()
    # The one still waiting moves up.
    expect(second.page.locator("#queue-number")).to_have_text("1")

    poul.get_by_placeholder("Fx: Jeg er klar om 5 minutter").fill("Jeg er klar om 5 minutter")
    poul.get_by_role("button", name="Send besked").click()
    expect(second.page.locator("#doctor-messages li")).to_have_text(["Jeg er klar om 5 minutter"])
    expect(first.page.locator("#doctor-messages li")).to_have_count(0)
    # While waiting, the citizen's data stays on screen: "Log borger ud" is for afterwards.
    expect(second.page.get_by_role("button", name="Log borger ud")).to_be_hidden()

    # The video fails: the doctor, on the call page, marks the call continued by phone; the
    # other pages follow.
    expect(first.page.get_by_role("button", name="Vi fortsatte over telefon")).to_be_visible()
    doctor.page.get_by_role("button", name="Fortsat over telefon").click()
    expect(doctor.page.locator("#phone-fallback-done")).to_have_text(
        "Markeret: I fortsatte over telefon."
    )
    expect(doctor.page.get_by_role("button", name="Fortsat over telefon")).to_be_hidden()
    expect(inger.locator(".state")).to_have_text(
        "I konsultation (Anne Holm) · Fortsat over telefon"
    )
    expect(inger.get_by_role("button", name="Fortsat over telefon")).to_be_hidden()
    expect(first.page.locator("#phone-fallback-done")).to_have_text(
        "Markeret: I fortsatte over telefon."
    )
    expect(first.page.get_by_role("button", name="Vi fortsatte over telefon")).to_be_hidden()
    dialogs: list[str] = []
    secretary.page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    poul.get_by_role("button", name="Fortsat over telefon").click()
    # Taken by phone from the queue: Poul leaves it, as completed.
    expect(entries).to_have_count(1)
    expect(second.page.get_by_text("Konsultationen er afsluttet.")).to_be_visible()
    expect(second.page.locator("#phone-fallback-done")).to_have_text(
        "Markeret: I fortsatte over telefon."
    )
    assert dialogs == ["Tog du konsultationen over telefon? Den forlader køen som afsluttet."]
    assert secretary.not_reloaded() and first.not_reloaded() and second.not_reloaded()


def test_close_and_clear_tells_waiting_and_refuses_joins(world: World, person: NewPerson) -> None:
    employee = person()
    employee.sign_in(world.carer)
    queue_on_behalf(employee, world.cpr, "Tryksår på hælen")
    employee.mark()

    clinic = person()
    clinic.sign_in(world.secretary)
    open_waiting_room(clinic)
    expect(clinic.page.locator("#entries > li")).to_have_count(1)
    dialogs: list[str] = []

    def accept(dialog) -> None:  # type: ignore[no-untyped-def]
        dialogs.append(dialog.message)
        dialog.accept()

    clinic.page.on("dialog", accept)
    clinic.page.get_by_role("button", name="Luk og tøm køen").click()
    expect(clinic.page.locator("#room-status")).to_have_text("Lukket")
    expect(clinic.page.locator("#entries > li")).to_have_count(0)
    expect(clinic.page.locator("#empty")).to_be_visible()
    assert dialogs == ["Luk venteværelset og fjern alle fra køen? De ventende får besked."]

    expect(employee.page.locator("#notice")).to_have_text(
        "Lægen har lukket venteværelset, og køen er tømt. Ring til klinikken."
    )
    expect(employee.page.get_by_role("button", name="Log borger ud")).to_be_visible()
    assert employee.not_reloaded()

    other = person()
    other.sign_in(world.carer2)
    page = other.page
    other.goto("/")
    page.get_by_role("link", name="På vegne af borger").click()
    page.get_by_label("Borgerens CPR-nummer").fill(world.cpr2)
    page.get_by_label("Tro- og love-erklæring").check()
    page.get_by_role("button", name="Log ind på borgers vegne").click()
    # Said at the CPR step, before the device check and the reason.
    expect(page.get_by_role("alert")).to_contain_text(
        "Lægens venteværelse er lukket lige nu. Ring til klinikken på 70 10 20 30."
    )
    expect(page.get_by_label("Borgerens CPR-nummer")).to_be_visible()


def test_dropped_clinic_socket_catches_up_after_reconnect(world: World, person: NewPerson) -> None:
    clinic = person()
    page = clinic.page
    blocked = threading.Event()

    def route(ws: WebSocketRoute) -> None:
        # A network that is down refuses the connection; otherwise pass it through untouched.
        if blocked.is_set():
            ws.close(code=1001, reason="network down")
        else:
            ws.connect_to_server()

    page.route_web_socket(re.compile(r"/ws/klinik/$"), route)
    clinic.sign_in(world.gp)
    open_waiting_room(clinic)
    clinic.mark()

    page.evaluate(WATCH_STATUS)
    blocked.set()
    page.evaluate("window.klSocket.drop()")
    expect(page.locator("#connection")).to_have_text("Forbindelsen er afbrudt – forbinder igen…")

    employee = person()
    employee.sign_in(world.carer)
    queue_on_behalf(employee, world.cpr, "Forvirring og uro om natten")
    # Still cut off: the arrival cannot have reached the page.
    expect(page.locator("#connection")).to_have_text("Forbindelsen er afbrudt – forbinder igen…")
    expect(page.locator("#entries > li")).to_have_count(0)
    statuses = page.evaluate("window.klStatuses")
    assert "Forbinder…" in statuses  # it kept trying …
    assert "Live" not in statuses  # … and never believed it was through

    blocked.clear()
    # The page's back-off between attempts is capped (kl/live.js) well within the timeout.
    expect(page.locator("#connection")).to_have_text("Live")
    entry = page.locator("#entries > li")
    expect(entry).to_have_count(1)
    expect(entry.locator(".citizen")).to_have_text("Inger Jensen")
    expect(page).to_have_title(re.compile(r"^\(1\) "))
    assert clinic.not_reloaded()


def test_a_silent_network_drop_is_noticed_and_repaired(
    world: World, person: NewPerson, live_url: str
) -> None:
    """The clinic's network drops without closing anything, and the page's connection is
    lost for good (the device comes back with a new address): no close ever reaches the
    page. It must notice the silence itself, keep trying, and when the network is back show
    what changed meanwhile, without a reload."""
    with FlakyLink(urllib.parse.urlsplit(live_url).port or 80) as link:
        clinic = person(link.base)
        # Heartbeats every second rather than 10 s: the same logic, in test time.
        clinic.context.add_init_script("window.klHeartbeatMs = 1000")
        page = clinic.page
        clinic.sign_in(world.gp)
        open_waiting_room(clinic)
        clinic.mark()
        page.evaluate(WATCH_STATUS)

        link.cut("lose")
        employee = person()
        employee.sign_in(world.carer)
        queue_on_behalf(employee, world.cpr, "Forvirring og uro om natten")
        page.wait_for_function(
            "() => window.klStatuses.includes('Forbindelsen er afbrudt – forbinder igen…')"
        )
        expect(page.locator("#entries > li")).to_have_count(0)

        link.restore()
        expect(page.locator("#connection")).to_have_text("Live")
        entry = page.locator("#entries > li")
        expect(entry).to_have_count(1)
        expect(entry.locator(".citizen")).to_have_text("Inger Jensen")
        assert clinic.not_reloaded()


def test_the_page_says_at_once_when_the_device_goes_offline(
    world: World, person: NewPerson
) -> None:
    """The browser's offline event shows the connection as broken at once; when the network
    is back (online) the page opens a fresh socket and is live again without a reload."""
    clinic = person()
    clinic.sign_in(world.gp)
    open_waiting_room(clinic)
    clinic.mark()
    clinic.context.set_offline(True)
    # Playwright's offline mode leaves open sockets alone: only the page's listener can show it.
    expect(clinic.page.locator("#connection")).to_have_text(
        "Forbindelsen er afbrudt – forbinder igen…"
    )
    clinic.context.set_offline(False)
    expect(clinic.page.locator("#connection")).to_have_text("Live")
    assert clinic.not_reloaded()
