"""Video through a locked-down network, in real Chromium: both sides may only use TURN relays
(TURN_RELAY_ONLY, iceTransportPolicy "relay") of a real coturn on loopback, with the product's
own time-limited credentials; over UDP, over TCP when UDP to the TURN server is blocked, and
over TLS when plain TCP is blocked too. A call whose relay dies comes back by itself through
an ICE restart, and a reloaded call page is back in the call at once; each proven by decoded
frames flowing again. The connection test's verdicts are checked by blocking each path."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from kontaktlaege.video.models import CallMember
from tests.support import browser, server
from tests.support.personas import World
from tests.support.threads import in_own_thread
from tests.support.turn import Coturn
from tests.video.conftest import GRACE_SECONDS
from tests.video.test_call_browser import STATES, eventually, sees_and_hears, start_call

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECONNECTING = "Forbindelsen genoprettes…"
GOOD, LOST = "Forbindelse: god", "Forbindelse: afbrudt"

# Each connection's selected candidate pair: the local and remote candidate types, and the
# transport between the browser and its TURN server (relayProtocol).
PATHS = """async () => {
  const out = [];
  for (const [id, pc] of window.klVideo.pcs) {
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((r) => {
      if (r.type === "transport" && r.selectedCandidatePairId) {
        pair = stats.get(r.selectedCandidatePairId);
      }
    });
    const local = pair && stats.get(pair.localCandidateId);
    const remote = pair && stats.get(pair.remoteCandidateId);
    out.push({
      id, local: local ? local.candidateType : null, remote: remote ? remote.candidateType : null,
      protocol: local ? local.relayProtocol : null,
      ufrag: (pc.localDescription?.sdp.match(/a=ice-ufrag:(\\S+)/) || [])[1],
    });
  }
  return out;
}"""


@pytest.fixture(scope="module")
def coturn() -> Iterator[Coturn]:
    with Coturn(tls=True) as turn_server:
        yield turn_server


@pytest.fixture(scope="module")
def chromium():  # type: ignore[no-untyped-def]
    """The conftest's browser, but taking coturn's self-signed certificate for TURN over TLS
    (a production TURN server has one the browser trusts)."""
    with browser.chromium("--ignore-certificate-errors") as b:
        yield b


@pytest.fixture(scope="module")
def video_server(django_db_setup: None, django_db_blocker: Any, coturn: Coturn) -> Iterator[str]:
    """The product's server, handing out credentials for `coturn` (UDP, TCP and TLS) and
    allowing relayed paths only. (Named as the conftest's, whose place it takes here.)"""
    env = coturn.product_env("udp", "tcp", "tls", relay_only=True)
    with server.server(
        connection.settings_dict,
        VIDEO_GRACE_SECONDS=str(GRACE_SECONDS),
        LOG_LEVEL="WARNING",
        **env,
    ) as port:
        yield f"http://127.0.0.1:{port}"


def network(coturn: Coturn, *, udp: bool = True, tcp: bool = True) -> None:
    """coturn reachable over UDP, over plain TCP, and over TLS; or with UDP, or UDP and plain
    TCP, blocked."""
    if coturn.proc is None or (coturn.udp, coturn.tcp) != (udp, tcp):
        coturn.restart(udp=udp, tcp=tcp)


def shows_quality(page: Any, text: str) -> None:
    """The page's remote picture shows this connection quality (measured every 2 s)."""
    quality = page.locator("#remote-videos .quality")
    eventually(lambda: quality.is_visible() and quality.inner_text() == text, text)


def paths(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate(PATHS))


def relayed(page: Any, protocol: str) -> list[dict[str, Any]]:
    """The page's connections, once each runs on a relay reached over `protocol`."""

    def check() -> list[dict[str, Any]] | None:
        found = paths(page)
        ok = found and all(p["local"] == "relay" and p["protocol"] == protocol for p in found)
        return found if ok else None

    try:
        return list(eventually(check, f"relayed over {protocol}"))
    except AssertionError as failure:
        raise AssertionError(f"{failure}: {paths(page)}; {page.evaluate(STATES)}") from None


@pytest.mark.parametrize(
    "protocol, open_paths",
    [
        ("udp", {"udp": True, "tcp": True}),
        ("tcp", {"udp": False, "tcp": True}),  # UDP blocked
        ("tls", {"udp": False, "tcp": False}),  # only TLS gets through (443/TCP in production)
    ],
    ids=["turn-udp", "turn-tcp", "turn-tls"],
)
def test_a_call_through_turn_only(
    world: World,
    video_server: str,
    chromium: Any,
    coturn: Coturn,
    protocol: str,
    open_paths: dict[str, bool],
) -> None:
    network(coturn, **open_paths)
    c, employee, doctor = start_call(world, video_server, chromium)
    sees_and_hears(doctor, 1)
    sees_and_hears(employee, 1)
    for page in (doctor, employee):
        (path,) = relayed(page, protocol)
        # The other side is relayed too: its candidates are relay addresses (or, learned
        # from its checks before its signaling arrived, peer-reflexive ones of the relay).
        assert path["remote"] in ("relay", "prflx"), path
        shows_quality(page, GOOD)
    for page in (doctor, employee):
        page.context.close()


def test_a_call_whose_relay_dies_comes_back_by_an_ice_restart(
    world: World, video_server: str, chromium: Any, coturn: Coturn
) -> None:
    network(coturn)
    c, employee, doctor = start_call(world, video_server, chromium)
    sees_and_hears(doctor, 1)
    sees_and_hears(employee, 1)
    before = {page: relayed(page, "udp")[0] for page in (doctor, employee)}

    # The TURN server restarts: every allocation, and with it the media path, is gone.
    coturn.stop()
    for page in (doctor, employee):
        status = page.locator("#call-status")
        eventually(lambda s=status: s.inner_text() == RECONNECTING, "the reconnecting notice")
        shows_quality(page, LOST)
    coturn.start(udp=True)

    for page in (doctor, employee):
        status = page.locator("#call-status")
        eventually(lambda s=status: s.inner_text() == "", "the notice gone", timeout=90)
        sees_and_hears(page, 1)
        (after,) = relayed(page, "udp")
        # New ICE credentials on both sides: the call came back through an ICE restart.
        assert after["id"] == before[page]["id"]
        assert after["ufrag"] != before[page]["ufrag"]
        shows_quality(page, GOOD)
    for page in (doctor, employee):
        page.context.close()


def test_a_reloaded_call_page_is_back_in_the_call_at_once(
    world: World, video_server: str, chromium: Any, coturn: Coturn
) -> None:
    network(coturn)
    c, employee, doctor = start_call(world, video_server, chromium)
    sees_and_hears(doctor, 1)
    sees_and_hears(employee, 1)

    for page in (employee, doctor):
        page.reload()
        other = doctor if page is employee else employee
        # The other side has the reloaded page, and only it, as its one peer.
        eventually(
            lambda p=page, o=other: (
                p.evaluate("() => window.klVideo?.peerId")
                and o.evaluate("() => [...window.klVideo.peers.keys()]")
                == [p.evaluate("() => window.klVideo.peerId")]
            ),
            "the reloaded page as the other's one peer",
        )
        sees_and_hears(doctor, 1)
        sees_and_hears(employee, 1)
        # One place per person: the page before the reload left no second one behind.
        roles = in_own_thread(
            lambda: sorted(CallMember.objects.filter(consultation=c).values_list("role", flat=True))
        )
        assert roles == ["doctor", "employee"]
        relayed(page, "udp")
    for page in (doctor, employee):
        page.context.close()


def connection_test(chromium: Any, base_url: str) -> dict[str, Any]:
    """The public connection test's verdicts: (status, text) by check, or by check and server
    address for the TURN rows; and the summary."""
    page = chromium.new_context(base_url=base_url, locale="da-DK").new_page()
    page.goto("/forbindelsestest/")
    page.wait_for_selector("#connection-test[data-done='true']", timeout=60000)
    rows = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll("tr[data-check]")].map((r) => [
          r.dataset.index ? `${r.dataset.check} ${r.querySelector("code").textContent}`
            : r.dataset.check,
          [r.dataset.status, r.querySelector(".result").textContent],
        ]))"""
    )
    result = {"rows": rows, "summary": page.locator("#summary").inner_text()}
    page.context.close()
    return result


def test_the_connection_test_tells_which_turn_paths_work(
    video_server: str, chromium: Any, coturn: Coturn
) -> None:
    udp, tcp, tls = (
        f"turn-udp 127.0.0.1:{coturn.port}",
        f"turn-tcp 127.0.0.1:{coturn.port}",
        f"turn-tcp 127.0.0.1:{coturn.tls_port}",
    )

    def statuses(result: dict[str, Any]) -> tuple[str, str, str]:
        return result["rows"][udp][0], result["rows"][tcp][0], result["rows"][tls][0]

    network(coturn)
    result = connection_test(chromium, video_server)
    assert result["rows"]["websocket"][0] == "ok"
    assert result["rows"]["stun"][0] == "none"  # no STUN server configured
    assert statuses(result) == ("ok", "ok", "ok"), result
    assert result["summary"] == "Videokonsultationer kan gennemføres fra dette netværk."

    # UDP to the TURN server blocked: TCP and TLS work, and the page says what to open.
    network(coturn, udp=False)
    result = connection_test(chromium, video_server)
    assert statuses(result) == ("fail", "ok", "ok"), result
    assert f"Åbn port {coturn.port}/UDP og medieportene (UDP)" in result["rows"][udp][1]
    assert result["summary"].startswith("Video kan kun køre direkte mellem enheder")

    # Plain TCP blocked too: TLS alone gets through.
    network(coturn, udp=False, tcp=False)
    result = connection_test(chromium, video_server)
    assert statuses(result) == ("fail", "fail", "ok"), result
    assert f"Åbn port {coturn.port}/TCP" in result["rows"][tcp][1]
    assert result["summary"].startswith("Video kan kun køre direkte mellem enheder")

    # The TURN server unreachable altogether.
    coturn.stop()
    result = connection_test(chromium, video_server)
    assert statuses(result) == ("fail", "fail", "fail"), result
    assert f"Åbn port {coturn.tls_port}/TCP" in result["rows"][tls][1]
    assert result["summary"].startswith("Videokonsultationer kan ikke gennemføres")


# The call page's quality verdict (video/call.js judge()) on two looks at a connection's stats
# 2 s apart: packets and frames received meanwhile, packets lost, round-trip time.
JUDGE = """async (cases) => {
  const { judge } = await import("/static/video/call.js");
  const before = { at: 0, received: 1000, lost: 3, frames: 500 };
  return cases.map(([received, lost, frames, rtt]) => judge(before, {
    at: 2000, received: 1000 + received, lost: 3 + lost, frames: 500 + frames, rtt,
  }));
}"""


def test_the_quality_shown_is_weak_on_a_slow_lossy_or_stuttering_path(
    video_server: str, chromium: Any
) -> None:
    page = chromium.new_context(base_url=video_server).new_page()
    page.goto("/forbindelsestest/")
    cases = {
        "good": (400, 0, 50, 0.02),
        "slow": (400, 0, 50, 0.6),  # 600 ms round trip: talk over each other
        "lossy": (400, 40, 50, 0.02),  # 9 % of packets lost
        "stuttering": (400, 0, 6, 0.02),  # 3 frames a second
        "silent": (0, 0, 0, 0.02),  # nothing arrived
    }
    verdicts = dict(zip(cases, page.evaluate(JUDGE, list(cases.values())), strict=True))
    assert verdicts == {
        "good": "good",
        "slow": "weak",
        "lossy": "weak",
        "stuttering": "weak",
        "silent": "lost",
    }
    page.context.close()
