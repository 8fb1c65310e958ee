"""Scope in a real browser (PRODUCT.md §3.7): another clinic's staff and another
municipality's employee see nothing of a consultation and cannot act on it."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.personas import World

from .conftest import NewPerson, open_waiting_room, queue_on_behalf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Open a socket as the page's own script would, and report the first thing that happens.
# The timer only keeps a socket that neither speaks nor closes from hanging the test.
PROBE_SOCKET = """(path) => new Promise((resolve) => {
  const ws = new WebSocket(`ws://${location.host}${path}`);
  let opened = false;
  ws.onopen = () => { opened = true; };
  ws.onmessage = (event) => {
    resolve({ opened, first: JSON.parse(event.data).type });
    ws.close();
  };
  ws.onclose = (event) => resolve({ opened, closed: event.code });
  setTimeout(() => resolve({ opened, silent: true }), 10000);
})"""

# POST a form the way the waiting-room script does, with the page's own CSRF token.
POST_FORM = """async ([url, fields]) => {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  body.append("csrfmiddlewaretoken", document.querySelector("[name=csrfmiddlewaretoken]").value);
  const response = await fetch(url, {
    method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin",
  });
  return response.status;
}"""


def consultation_id(page: Page) -> int:
    match = re.search(r"/konsultation/(\d+)/$", page.url)
    assert match, page.url
    return int(match.group(1))


def test_other_clinic_and_other_municipality_see_nothing(world: World, person: NewPerson) -> None:
    own = person()
    own.sign_in(world.gp)
    open_waiting_room(own)
    other = person()
    other.sign_in(world.other_gp)
    open_waiting_room(other)
    other.mark()

    employee = person()
    employee.sign_in(world.carer)
    queue_on_behalf(employee, world.cpr, "Smerter i hoften efter fald")
    pk = consultation_id(employee.page)
    expect(own.page.locator("#entries > li .citizen")).to_have_text(["Inger Jensen"])

    # The other clinic's page got the same chance to hear of it, and shows nothing.
    expect(other.page.locator("#connection")).to_have_text("Live")
    expect(other.page.locator("#entries > li")).to_have_count(0)
    expect(other.page.locator("#empty")).to_be_visible()
    expect(other.page.get_by_text("Inger Jensen")).to_have_count(0)
    expect(other.page).to_have_title(re.compile(r"^Venteværelse"))
    assert other.not_reloaded()
    other.page.reload()
    expect(other.page.locator("#connection")).to_have_text("Live")
    expect(other.page.locator("#entries > li")).to_have_count(0)

    forged = {
        "start": {},
        "afvis": {"message": "Nej"},
        "besked": {"text": "Hej"},
        "afslut": {},
    }
    for action, fields in forged.items():
        status = other.page.evaluate(POST_FORM, [f"/klinik/konsultation/{pk}/{action}/", fields])
        assert status == 404, action
    expect(own.page.locator("#entries > li .state")).to_have_text("I kø")
    expect(employee.page.locator("#queue-number")).to_have_text("1")
    expect(employee.page.locator("#doctor-messages li")).to_have_count(0)

    # Another municipality's employee: no page, no socket.
    foreign = person()
    foreign.sign_in(world.foreign_carer)
    response = foreign.page.goto(foreign.url(f"/konsultation/{pk}/"))
    assert response is not None and response.status == 404
    expect(foreign.page.get_by_text("Inger Jensen")).to_have_count(0)
    foreign.goto("/")
    refused = foreign.page.evaluate(PROBE_SOCKET, f"/ws/konsultation/{pk}/")
    assert refused["opened"] is False and "closed" in refused, refused

    # The same probe from the owner's page is let in (so the refusal above is about scope).
    allowed = employee.page.evaluate(PROBE_SOCKET, f"/ws/konsultation/{pk}/")
    assert allowed == {"opened": True, "first": "snapshot"}, allowed


def test_signing_out_in_another_tab_takes_the_waiting_room_off_the_screen(
    world: World, person: NewPerson
) -> None:
    """A page's socket is let in once; when the session ends (here: "Log ud" in another tab)
    the server closes it, and the page goes to the sign-in page with nobody left on screen."""
    employee = person()
    employee.sign_in(world.carer)
    queue_on_behalf(employee, world.cpr, "Svimmelhed om morgenen")
    doctor = person()
    doctor.sign_in(world.gp)
    open_waiting_room(doctor)
    expect(doctor.page.locator("#entries > li .citizen")).to_have_text(["Inger Jensen"])

    other_tab = doctor.context.new_page()
    other_tab.goto(doctor.url("/klinik/"))
    other_tab.get_by_role("button", name="Log ud").click()
    expect(other_tab).to_have_url(re.compile(r"/konto/log-ind/"))

    expect(doctor.page).to_have_url(re.compile(r"/konto/log-ind/"))
    expect(doctor.page.get_by_text("Inger Jensen")).to_have_count(0)
