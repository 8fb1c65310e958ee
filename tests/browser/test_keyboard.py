"""Keyboard only (PRODUCT.md §3.1 and §3.3): the whole employee flow and admitting from the
waiting room with Tab, Shift+Tab, Enter and Space, a visible focus at every stop; the queue
number and new arrivals are read out by screen readers (live regions)."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.factories import PASSWORD
from tests.support.personas import World
from tests.support.signin import current_code

from .conftest import NewPerson, open_waiting_room, queue_on_behalf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The focused element and whether its focus can be seen: an outline or a box shadow.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  return {
    what: `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${
      (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40)}"`,
    outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0,
    shadow: s.boxShadow !== "none",
    shown: el.checkVisibility(),
  };
}"""


def tab_to(page: Page, target: Locator, *, back: bool = False, limit: int = 40) -> None:
    """Tab (or Shift+Tab) until `target` has the focus; every stop on the way must show it."""
    stops: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        focused = page.evaluate(FOCUSED)
        assert focused is not None, f"the focus fell out of the page after {stops}"
        stops.append(focused["what"])
        assert focused["shown"], f"focus on something not shown: {focused['what']}"
        assert focused["outline"] or focused["shadow"], f"no visible focus: {focused['what']}"
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"never reached {target} with the keyboard; stops: {stops}")


def test_the_employee_flow_and_admitting_by_keyboard_only(world: World, person: NewPerson) -> None:
    clinic = person()
    clinic.sign_in(world.gp)
    open_waiting_room(clinic)
    arrivals = clinic.page.locator("#arrivals")
    expect(arrivals).to_have_attribute("role", "status")
    expect(arrivals).to_be_empty()
    # The list itself is not live: its waiting times tick every second.
    expect(clinic.page.locator("#entries")).not_to_have_attribute("aria-live", re.compile("."))

    # Someone already waits, so the employee's number will move when that one is admitted.
    first = person()
    first.sign_in(world.carer2)
    queue_on_behalf(first, world.cpr2, "Udslæt på armene")
    expect(arrivals).to_have_text(re.compile(r"^Ny i køen: Poul Nielsen"))

    employee = person()
    page = employee.page
    kb = page.keyboard

    # Sign in: the password step, then the code.
    employee.goto("/konto/log-ind/")
    tab_to(page, page.get_by_label("Brugernavn"))
    kb.type(world.carer.username)
    tab_to(page, page.get_by_label("Adgangskode"))
    kb.type(PASSWORD)
    tab_to(page, page.get_by_role("button", name="Næste"))
    kb.press("Enter")
    expect(page.get_by_role("heading", name="Bekræft med engangskode")).to_be_visible()
    tab_to(page, page.get_by_label("Engangskode fra din app"))
    kb.type(current_code(world.carer))
    kb.press("Enter")

    # Start page → "På vegne af borger".
    expect(page.get_by_role("heading", name="Start en videokonsultation")).to_be_visible()
    tab_to(page, page.get_by_role("link", name="På vegne af borger"))
    kb.press("Enter")

    # CPR and consent; back with Shift+Tab to correct the number once.
    expect(page.get_by_role("heading", name="Log ind på borgers vegne")).to_be_visible()
    cpr = page.get_by_label("Borgerens CPR-nummer")
    tab_to(page, cpr)
    kb.type("0000")
    consent = page.get_by_label("Tro- og love-erklæring")
    tab_to(page, consent)
    kb.press("Space")
    expect(consent).to_be_checked()
    tab_to(page, cpr, back=True)
    kb.press("Control+A")
    kb.type(world.cpr)
    tab_to(page, page.get_by_role("button", name="Log ind på borgers vegne"))
    kb.press("Enter")

    # The device check, step by step.
    expect(page.get_by_role("heading", name="Tjek mikrofon, højttaler og kamera")).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Start tjek af mikrofon og kamera"))
    kb.press("Enter")
    step = page.locator('section[data-step="1"]')
    expect(step.get_by_role("button", name="Næste")).to_be_visible()
    tab_to(page, step.get_by_role("button", name="Næste"))
    kb.press("Space")
    expect(page.get_by_role("heading", name="Trin 2 af 4: Højttaler")).to_be_focused()
    tab_to(page, page.get_by_role("button", name="Afspil testlyd"))
    kb.press("Enter")
    hear = page.get_by_label("Jeg kan høre lyden")
    tab_to(page, hear)
    kb.press("Space")
    expect(hear).to_be_checked()
    tab_to(page, page.locator('section[data-step="2"]').get_by_role("button", name="Næste"))
    kb.press("Enter")
    step = page.locator('section[data-step="3"]')
    expect(step.get_by_role("button", name="Næste")).to_be_visible()
    tab_to(page, step.get_by_role("button", name="Næste"))
    kb.press("Enter")
    tab_to(page, page.locator('section[data-step="4"]').get_by_role("button", name="Næste"))
    kb.press("Enter")

    # The reason, then the queue.
    reason = page.get_by_label("Hvad drejer konsultationen sig om?")
    expect(reason).to_be_visible()
    tab_to(page, reason)
    kb.type("Hoste og feber siden i går")
    tab_to(page, page.get_by_role("button", name="Start og stil i kø"))
    kb.press("Enter")

    # The queue number, inside one status region that is read out when it changes.
    status = page.locator("#queue-status")
    expect(status).to_have_attribute("role", "status")
    expect(status.locator("#queue-number")).to_have_text("2")
    expect(status).to_contain_text("Dit nummer i køen:")
    # The clinic's arrivals region names the newcomer.
    expect(arrivals).to_have_text(
        re.compile(r"^Ny i køen: Inger Jensen, Medarbejder på vegne af borger, Mette Sørensen")
    )

    # The doctor admits the first in line by keyboard: the employee's number moves up.
    entry = clinic.page.locator("#entries > li").filter(has_text="Poul Nielsen")
    tab_to(clinic.page, entry.get_by_role("button", name="Start"))
    clinic.page.keyboard.press("Space")
    expect(clinic.page).to_have_url(re.compile(r"/video/$"))
    expect(status.locator("#queue-number")).to_have_text("1")

    # Back in the waiting room, the employee is admitted with Enter.
    open_waiting_room(clinic)
    entry = clinic.page.locator("#entries > li").filter(has_text="Inger Jensen")
    tab_to(clinic.page, entry.get_by_role("button", name="Start"))
    clinic.page.keyboard.press("Enter")
    expect(clinic.page).to_have_url(re.compile(r"/video/$"))
    expect(page.get_by_text("Lægen har startet videokonsultationen.")).to_be_visible()
