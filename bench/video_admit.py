"""Admit → first decoded remote video frame, in real Chromium on loopback.

Starts its own server (kontaktlaege.serve) on a temporary SQLite database, signs in an
employee and a doctor through the login pages, and runs 10 calls: the employee waits, the
doctor presses "Start", and the time until each side shows its first remote frame is measured.
With --turn the same follows, in the same run, through a real coturn on loopback with relay
only (TURN_RELAY_ONLY): over UDP, over TCP with UDP to the TURN server blocked, and over TLS
with plain TCP blocked too; and the last UDP call has its TURN server restarted under it, to
time the recovery.

    .venv/bin/python bench/video_admit.py [--calls 10] [--turn]
"""

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.browser import chromium  # noqa: E402 - needs the root on the path
from tests.support.server import running, setup_on_sqlite  # noqa: E402
from tests.support.threads import in_own_thread  # noqa: E402
from tests.support.turn import Coturn  # noqa: E402


def people() -> tuple:
    """A clinic with one doctor, and an employee; both with a TOTP device."""
    from tests.support import factories

    clinic = factories.ClinicFactory(name="Lægehuset Bench")
    ydernummer = factories.YdernummerFactory(clinic=clinic)
    gp = factories.ClinicStaffFactory(username="bench-gp", clinic=clinic)
    carer = factories.EmployeeFactory(username="bench-carer")
    return ydernummer, gp, carer


def pct95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


PATHS = {
    "direct": "direct on loopback (no STUN/TURN)",
    "turn-udp": "TURN relay only, UDP",
    "turn-tcp": "TURN relay only, TCP (UDP to the TURN server blocked)",
    "turn-tls": "TURN relay only, TLS (UDP and plain TCP blocked)",
}
# What the TURN server listens on for each path: (UDP, plain TCP); TLS always.
LISTENERS = {"turn-udp": (True, True), "turn-tcp": (False, True), "turn-tls": (False, False)}


# Resolves when the page decodes a remote frame beyond those decoded so far: the time, in ms
# since the epoch, is left in window.klResumedAt.
WATCH_FRAMES = """async () => {
  const decoded = async () => {
    let frames = 0;
    for (const pc of window.klVideo.pcs.values()) {
      (await pc.getStats()).forEach((r) => {
        if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0;
      });
    }
    return frames;
  };
  window.klResumedAt = null;
  const start = await decoded();
  (async () => {
    while ((await decoded()) <= start) await new Promise((r) => setTimeout(r, 10));
    window.klResumedAt = performance.timeOrigin + performance.now();
  })();
}"""


def recovery(doctor, employee, coturn: Coturn, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    """The TURN server restarts under a running call, `rounds` times: ms from its return (it
    answers again) until both pages decode frames again, after an ICE restart."""
    times = []
    for n in range(rounds):
        coturn.stop()
        for page in (doctor, employee):
            page.wait_for_function(
                "() => document.getElementById('call-status').textContent.includes('genoprettes')",
                timeout=60000,
            )
            page.wait_for_timeout(1000)  # the last frames in flight are decoded
            page.evaluate(WATCH_FRAMES)
        coturn.start()
        t0 = time.time() * 1000
        back = []
        for page in (doctor, employee):
            page.wait_for_function("() => window.klResumedAt", timeout=120000)
            back.append(page.evaluate("() => window.klResumedAt") - t0)
        times.append(max(back))
        print(f"  genopretning {n + 1:2d}: {max(back):6.0f} ms", flush=True)
    return times


def run_calls(  # type: ignore[no-untyped-def]
    browser, base: str, people: tuple, calls: int, coturn: Coturn | None = None
) -> dict[str, list[float]]:
    """`calls` calls on the server at `base`: ms from the click on "Start" to each side's first
    decoded remote frame. With `coturn`, the last call then measures recovery()."""
    from kontaktlaege.consultations import actions
    from tests.support.signin import signed_in_page

    ydernummer, gp, carer = people
    results: dict[str, list[float]] = {"læge": [], "medarbejder": [], "begge": []}
    employee = signed_in_page(browser, base, carer)
    doctor = signed_in_page(browser, base, gp)
    for n in range(calls):
        c = in_own_thread(lambda: actions.join_queue(carer, ydernummer=ydernummer, reason="Bench"))
        employee.goto(f"/konsultation/{c.pk}/")
        employee.wait_for_selector("#queue-number:text('1')")
        doctor.goto("/klinik/")
        start = doctor.locator(f'li.entry[data-id="{c.pk}"] form[data-action="admit"] button')
        start.wait_for()
        t0 = time.time() * 1000
        start.click()
        doctor.wait_for_url(f"**/klinik/konsultation/{c.pk}/video/")
        frames = []
        for page in (doctor, employee):
            page.wait_for_function("() => window.klVideo?.firstFrameAt", timeout=30000)
            frames.append(page.evaluate("() => window.klVideo.firstFrameAt") - t0)
        results["læge"].append(frames[0])
        results["medarbejder"].append(frames[1])
        results["begge"].append(max(frames))
        print(
            f"  opkald {n + 1:2d}: læge {frames[0]:6.0f} ms, medarbejder {frames[1]:6.0f} ms",
            flush=True,
        )
        if coturn is not None and n == calls - 1:
            results["genopretning"] = recovery(doctor, employee, coturn, min(calls, 5))
        doctor.click("#end-call button")
        doctor.wait_for_selector("#call-ended", state="visible")
        employee.wait_for_selector("#log-out-citizen", state="visible")
    for page in (employee, doctor):
        page.context.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument(
        "--turn", action="store_true", help="also through a TURN relay only, over UDP and TCP"
    )
    args = parser.parse_args()
    paths = list(PATHS) if args.turn else ["direct"]
    results: dict[str, dict[str, list[float]]] = {}
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="kl-bench-"))
        coturn = stack.enter_context(Coturn(tls=True)) if args.turn else None
        # coturn's certificate is self-signed (a production TURN server's is trusted).
        browser = stack.enter_context(chromium("--ignore-certificate-errors"))
        env = setup_on_sqlite(tmp)
        everyone = people()
        for path in paths:
            print(f"{PATHS[path]}:", flush=True)
            settings = {}
            if coturn is not None and path != "direct":
                udp, tcp = LISTENERS[path]
                coturn.restart(udp=udp, tcp=tcp)
                settings = coturn.product_env("udp", "tcp", "tls", relay_only=True)
            with running({**env, **settings}) as (server,):
                results[path] = run_calls(
                    browser,
                    server.base,
                    everyone,
                    args.calls,
                    coturn if path == "turn-udp" else None,
                )
    print()
    print(f"Admit → first decoded remote frame, Chromium on loopback, {args.calls} calls each")
    print("(genopretning: TURN server restarted in a call, from its return to frames again)")
    print(f"{'path':<10}{'side':<14}{'median ms':>12}{'p95 ms':>10}{'min ms':>10}{'max ms':>10}")
    for path, by_side in results.items():
        for side, values in by_side.items():
            print(
                f"{path:<10}{side:<14}{statistics.median(values):>12.0f}{pct95(values):>10.0f}"
                f"{min(values):>10.0f}{max(values):>10.0f}"
            )


if __name__ == "__main__":
    main()
