"""The consultation's video in real Chromium with fake camera and microphone: the employee
waits, the doctor presses "Start", both see and hear each other; a relative joins by a
one-time link; the doctor ends the call; "Log borger ud" leaves nothing behind."""

import json
import re
import time
from collections import Counter
from typing import Any

import pytest

from kontaktlaege.consultations.models import Consultation
from tests.support import signin
from tests.support.personas import World, join_on_behalf
from tests.support.threads import in_own_thread

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


# What a failed test reports: each connection's signaling and ICE states.
STATES = """() => window.klVideo && {
  order: window.klVideo.order,
  peers: [...window.klVideo.peers.values()].map((p) => ({
    order: p.info && p.info.order, signaling: p.pc.signalingState,
    ice: p.pc.iceConnectionState, gathering: p.pc.iceGatheringState, away: p.away,
  })),
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

    try:
        before = {m["id"]: m["frames"] for m in eventually(playing, f"{peers} remote videos")}
        eventually(
            lambda: (m := playing()) and all(x["frames"] > before.get(x["id"], 0) for x in m),
            "frames keep being decoded",
        )
    except AssertionError as failure:
        raise AssertionError(
            f"{failure}; the page's connections: {page.evaluate(STATES)}"
        ) from None


def sign_in(browser: Any, base_url: str, user: Any) -> Any:
    context = browser.new_context(
        base_url=base_url, locale="da-DK", permissions=["camera", "microphone"]
    )
    page = context.new_page()
    signin.sign_in(page, user)
    return page


def start_call(
    world: World, video_server: str, chromium: Any, taps: "tuple[Tap, Tap] | None" = None
) -> tuple[Consultation, Any, Any]:
    c = in_own_thread(lambda: join_on_behalf(world, "Svimmel og hoster"))
    employee = sign_in(chromium, video_server, world.carer)
    employee.goto(f"/konsultation/{c.pk}/")
    employee.wait_for_selector("#queue-number:text('1')")
    doctor = sign_in(chromium, video_server, world.gp)
    if taps is not None:
        for page, tap in zip((employee, doctor), taps, strict=True):
            page.route_web_socket(re.compile(r"/ws/video/"), tap)
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


class Tap:
    """Stands between one page and its call socket: counts what the page sends, and loses or
    holds messages of a type on their way to the page (a channel layer delivers at most
    once, and in any order across processes)."""

    def __init__(self, *, lose: str = "", hold: str = "") -> None:
        self.lose, self.hold = lose, hold
        self.lost = 0
        self.held: list[str] = []
        self.sent: Counter[str] = Counter()
        self.received: Counter[str] = Counter()
        self.route: Any = None

    def __call__(self, route: Any) -> None:
        self.route = route
        server = route.connect_to_server()

        def to_server(message: str | bytes) -> None:
            self.sent[json.loads(message).get("type", "")] += 1
            server.send(message)

        def to_page(message: str | bytes) -> None:
            kind = json.loads(message).get("type", "")
            if kind == self.lose and not self.lost:
                self.lost += 1
            elif kind == self.hold:
                self.held.append(str(message))
            else:
                self.received[kind] += 1
                route.send(message)

        route.on_message(to_server)
        server.on_message(to_page)

    def release(self) -> None:
        self.hold = ""
        for message in self.held:
            self.route.send(message)


def pumped(page: Any, check: Any) -> Any:
    """A check for eventually() that first lets Playwright run the taps for a moment."""

    def run() -> Any:
        page.wait_for_timeout(100)
        return check()

    return run


def test_a_lost_answer_is_negotiated_again(world: World, video_server: str, chromium: Any) -> None:
    taps = (Tap(lose="answer"), Tap(lose="answer"))
    c, employee, doctor = start_call(world, video_server, chromium, taps)
    sees_and_hears(doctor, 1)
    sees_and_hears(employee, 1)
    # Only the one who made the offer gets an answer: one was lost, the offer went again.
    assert sum(tap.lost for tap in taps) == 1
    for page in (doctor, employee):
        page.context.close()


def test_the_first_to_join_never_offers_so_the_two_never_offer_at_once(
    world: World, video_server: str, chromium: Any
) -> None:
    taps = (Tap(hold="offer"), Tap(hold="offer"))
    c, employee, doctor = start_call(world, video_server, chromium, taps)
    pages = dict(zip(taps, (employee, doctor), strict=True))
    # The later to join calls the first; hold that offer on its way.
    first = eventually(pumped(doctor, lambda: next((t for t in taps if t.held), None)), "an offer")
    # Meanwhile the first learns of the later from a fresh roster: it must still not offer.
    pages[first].evaluate("() => window.klVideo.send({ type: 'sync' })")
    eventually(pumped(doctor, lambda: first.received["call"] == 2), "the second roster")
    pages[first].wait_for_timeout(500)
    for tap in taps:
        tap.release()
    sees_and_hears(doctor, 1)
    sees_and_hears(employee, 1)
    later = next(t for t in taps if t is not first)
    assert first.sent["offer"] == 0
    assert later.sent["offer"] >= 1
    for page in (doctor, employee):
        page.context.close()
