"""In a real browser with chromium's fake camera and microphone: the employee checks the devices
step by step between the CPR step and the reason; municipal IT runs the connection test."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import wait_until
from tests.support.signin import sign_in

pytestmark = pytest.mark.browser

METER = "document.getElementById('mic-level')"


def start_on_behalf(page, world) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, world.carer)
    page.goto("/medarbejder/borger/")
    page.get_by_label("Borgerens CPR-nummer").fill(world.cpr)
    page.get_by_label("Tro- og love-erklæring").check()
    page.get_by_role("button", name="Log ind på borgers vegne").click()
    expect(page).to_have_url(re.compile(r"/medarbejder/udstyrstjek/$"))


def test_employee_checks_microphone_speaker_camera_then_writes_the_reason(world, open_page):
    page = open_page()
    start_on_behalf(page, world)

    expect(page.get_by_role("heading", name="Trin 1 af 4: Mikrofon")).to_be_visible()
    page.get_by_role("button", name="Start tjek af mikrofon og kamera").click()
    # The fake microphone beeps: the level meter rises and keeps moving.
    wait_until(page, f"{METER}.value > 10")
    level = page.evaluate(f"{METER}.value")
    wait_until(page, f"v => {METER}.value !== v", level)
    expect(page.get_by_role("status").filter(has_text="Mikrofonen virker")).to_be_visible()
    page.get_by_role("button", name="Næste").click()

    expect(page.get_by_role("heading", name="Trin 2 af 4: Højttaler")).to_be_focused()
    page.get_by_role("button", name="Afspil testlyd").click()
    # "Næste" before confirming the sound gives help and stays on the step.
    page.get_by_role("button", name="Næste").click()
    expect(page.get_by_text("Sæt flueben, når du kan høre lyden")).to_be_visible()
    page.get_by_label("Jeg kan høre lyden").check()
    page.get_by_role("button", name="Næste").click()

    expect(page.get_by_role("heading", name="Trin 3 af 4: Kamera")).to_be_visible()
    wait_until(page, "document.getElementById('camera-preview').videoWidth > 0")
    page.evaluate("window.klStream = document.getElementById('camera-preview').srcObject")
    page.get_by_role("button", name="Næste").click()

    expect(page.get_by_role("heading", name=re.compile("Trin 4 af 4"))).to_be_visible()
    plan_b = f"ring til {world.clinic.name} på {world.clinic.phone}"
    expect(page.get_by_text(plan_b)).to_be_visible()
    # Camera and microphone are released once they are no longer needed.
    assert page.evaluate("klStream.getTracks().map(t => t.kind).sort()") == ["audio", "video"]
    assert page.evaluate("klStream.getTracks().every(t => t.readyState === 'ended')")
    page.get_by_role("button", name="Næste").click()

    expect(page).to_have_url(re.compile(r"/medarbejder/aarsag/$"))
    expect(page.locator("#draft-citizen")).to_have_text("Inger Jensen")


def test_denied_camera_offers_help_and_sound_only(world, open_page):
    page = open_page()
    # The person answers "Bloker" to the camera but allows the microphone.
    page.add_init_script(
        """
        const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
        navigator.mediaDevices.getUserMedia = (constraints) => constraints.video
          ? Promise.reject(new DOMException("denied", "NotAllowedError"))
          : real(constraints);
        """
    )
    start_on_behalf(page, world)
    page.get_by_role("button", name="Start tjek af mikrofon og kamera").click()
    wait_until(page, f"{METER}.value > 10")
    page.get_by_role("button", name="Næste").click()
    page.get_by_label("Jeg kan høre lyden").check()
    page.get_by_role("button", name="Næste").click()

    expect(page.get_by_text("Browseren har ikke fået lov til at bruge kameraet.")).to_be_visible()
    help_box = page.get_by_text("Sådan giver du adgang til kamera og mikrofon")
    help_box.click()
    expect(page.get_by_role("heading", name="iPad og iPhone (Safari)")).to_be_visible()
    page.get_by_role("button", name="Fortsæt kun med lyd").click()
    expect(page.get_by_role("heading", name=re.compile("Trin 4 af 4"))).to_be_visible()
    page.get_by_role("button", name="Næste").click()
    expect(page).to_have_url(re.compile(r"/medarbejder/aarsag/$"))


def test_connection_test_from_the_login_page(settings, open_page):
    assert not (settings.STUN_URLS or settings.TURN_URLS)
    page = open_page()
    page.goto("/konto/log-ind/")
    page.get_by_role("link", name="Forbindelsestest for IT-afdelingen").click()
    expect(page.get_by_role("heading", name="Forbindelsestest for IT-afdelingen")).to_be_visible()

    websocket = page.locator('tr[data-check="websocket"]')
    expect(websocket).to_have_attribute("data-status", "ok")
    expect(websocket.locator(".result")).to_have_text("Virker")
    for check in ("stun", "turn-udp", "turn-tcp"):
        row = page.locator(f'tr[data-check="{check}"]')
        expect(row).to_have_attribute("data-status", "none")
        expect(row.locator(".result")).to_have_text("Ikke konfigureret")
    expect(page.locator("#summary")).to_contain_text("Video kan kun køre direkte")
    expect(page.get_by_role("cell", name="40000–49999/UDP")).to_be_visible()
