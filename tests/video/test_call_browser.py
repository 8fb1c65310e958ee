"""The consultation's video in real Chromium with fake camera and microphone: the employee
waits, the doctor presses "Start", both see and hear each other; a relative joins by a
one-time link; the doctor ends the call; "Log borger ud" leaves nothing behind."""

import time
from typing import Any

import pytest

from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation
from tests import live

from ..conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEDIA = """async () => {
  const call = window.klVideo;
  if (!call || call.stopped) return null;
  const out = [];
  for (const [id, pc] of call.pcs) {
    let frames = 0;
    (await pc.getStats()).forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "video") frames = r.framesDecoded || 0;
    });
    const video = document.querySelector(`#remote-videos figure[data-peer="${id}"] video`);
    const stream = video && video.srcObject;
    out.push({
      id, frames, width: video ? video.videoWidth : 0,
      audio: stream ? stream.getAudioTracks().map((t) => t.readyState) : [],
    });
  }
  return out;
}"""


def eventually(check: Any, what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.2)


def sees_and_hears(page: Any, peers: int) -> None:
    """Every remote video of the page plays: a size, live audio, and frames still coming."""

    def playing() -> list[dict[str, Any]] | None:
        media = page.evaluate(MEDIA)
        ok = (
            media is not None
            and len(media) == peers
            and all(m["width"] > 0 and m["frames"] > 0 and m["audio"] == ["live"] for m in media)
        )
        return media if ok else None

    before = {m["id"]: m["frames"] for m in eventually(playing, f"{peers} remote videos")}
    eventually(
        lambda: (m := playing()) and all(x["frames"] > before.get(x["id"], 0) for x in m),
        "frames keep being decoded",
    )


def sign_in(browser: Any, base_url: str, user: Any) -> Any:
    context = browser.new_context(
        base_url=base_url, locale="da-DK", permissions=["camera", "microphone"]
    )
    page = context.new_page()
    live.sign_in(page, user)
    return page


def start_call(world: World, video_server: str, chromium: Any) -> tuple[Consultation, Any, Any]:
    c = live.in_own_thread(
        lambda: actions.join_queue(
            world.carer,
            ydernummer=world.ydernummer,
            reason="Svimmel og hoster",
            citizen=actions.CitizenOnBehalf(cpr=world.cpr, name="Inger Jensen"),
            consent_given=True,
        )
    )
    employee = sign_in(chromium, video_server, world.carer)
    employee.goto(f"/konsultation/{c.pk}/")
    employee.wait_for_selector("#queue-number:text('1')")
    doctor = sign_in(chromium, video_server, world.gp)
    doctor.goto("/klinik/")
    doctor.click(f'li.entry[data-id="{c.pk}"] form[data-action="admit"] button')
    doctor.wait_for_url(f"**/klinik/konsultation/{c.pk}/video/")
    return c, employee, doctor


def test_doctor_and_employee_see_each_other_then_a_relative_joins(
    world: World, video_server: str, chromium: Any
) -> None:
    c, employee, doctor = start_call(world, video_server, chromium)
    sees_and_hears(doctor, 1)
    sees_and_hears(employee, 1)
    assert employee.locator("#remote-videos figcaption").inner_text() == "Anne Holm · Læge"
    employee.evaluate(
        "() => { localStorage.setItem('kl', 'x'); sessionStorage.setItem('kl', 'y'); }"
    )

    # A relative or interpreter joins by a one-time link, without an account.
    doctor.click("#invite-form button")
    link = doctor.locator("#invite-url")
    eventually(lambda: link.input_value(), "an invitation link")
    guest = chromium.new_context(permissions=["camera", "microphone"]).new_page()
    guest.goto(link.input_value())
    guest.fill("#id_name", "Tolk Hansen")
    guest.click("#join-call")
    guest.wait_for_url("**/video/gaest/")
    sees_and_hears(guest, 2)
    sees_and_hears(doctor, 2)
    sees_and_hears(employee, 2)
    # The link was good for one use only.
    again = chromium.new_context().new_page()
    assert again.goto(link.input_value()).status == 410

    # The doctor ends the call: everyone leaves it.
    doctor.click("#end-call button")
    doctor.wait_for_selector("#call-ended", state="visible")
    guest.wait_for_selector("#call-ended", state="visible")
    employee.wait_for_selector("#log-out-citizen", state="visible")
    for page in (doctor, guest, employee):
        eventually(lambda p=page: p.evaluate("() => window.klVideo.pcs.size === 0"), "pcs closed")
    c.refresh_from_db()
    assert c.state == Consultation.State.ENDED

    # "Log borger ud": no storage left, and Back does not bring the consultation page back.
    consultation_url = employee.url
    employee.click("#log-out-citizen")
    employee.wait_for_url("**/medarbejder/")
    assert employee.evaluate("() => localStorage.length + sessionStorage.length") == 0
    assert "Borgeren er logget ud" in employee.content()
    employee.go_back()
    assert employee.url != consultation_url
    assert "Inger Jensen" not in employee.content()
    for page in (doctor, guest, employee, again):
        page.context.close()


def test_a_peer_gone_past_the_grace_period_ends_the_call_for_the_other(
    world: World, video_server: str, chromium: Any
) -> None:
    c, employee, doctor = start_call(world, video_server, chromium)
    sees_and_hears(doctor, 1)
    # The employee's signaling socket vanishes without a goodbye (as a dead network would).
    employee.evaluate("() => window.klVideo.socket.close()")
    status = doctor.locator("#call-status")
    eventually(lambda: status.inner_text() == "Den anden part har forladt opkaldet", "left notice")
    assert doctor.evaluate("() => window.klVideo.pcs.size") == 0
    for page in (doctor, employee):
        page.context.close()
