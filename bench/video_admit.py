"""Admit → first decoded remote video frame, in real Chromium on loopback.

Starts its own server (kontaktlaege.serve) on a temporary SQLite database, signs in an
employee and a doctor through the login pages, and runs 10 calls: the employee waits, the
doctor presses "Start", and the time until each side shows its first remote frame is measured.

    .venv/bin/python bench/video_admit.py [--calls 10]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.browser import chromium  # noqa: E402 - needs the root on the path
from tests.support.server import running, setup_on_sqlite  # noqa: E402
from tests.support.threads import in_own_thread  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kl-bench-") as tmp:
        env = setup_on_sqlite(tmp)
        from kontaktlaege.consultations import actions
        from tests.support.signin import signed_in_page

        ydernummer, gp, carer = people()
        results: dict[str, list[float]] = {"læge": [], "medarbejder": [], "begge": []}
        with running(env) as (server,), chromium() as browser:
            employee = signed_in_page(browser, server.base, carer)
            doctor = signed_in_page(browser, server.base, gp)
            for n in range(args.calls):
                c = in_own_thread(
                    lambda: actions.join_queue(carer, ydernummer=ydernummer, reason="Bench")
                )
                employee.goto(f"/konsultation/{c.pk}/")
                employee.wait_for_selector("#queue-number:text('1')")
                doctor.goto("/klinik/")
                start = doctor.locator(
                    f'li.entry[data-id="{c.pk}"] form[data-action="admit"] button'
                )
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
                    f"  opkald {n + 1:2d}: læge {frames[0]:6.0f} ms, "
                    f"medarbejder {frames[1]:6.0f} ms",
                    flush=True,
                )
                doctor.click("#end-call button")
                doctor.wait_for_selector("#call-ended", state="visible")
                employee.wait_for_selector("#log-out-citizen", state="visible")
    print()
    print(f"Admit → first decoded remote frame, Chromium on loopback, {args.calls} calls")
    print(f"{'side':<14}{'median ms':>12}{'p95 ms':>10}{'min ms':>10}{'max ms':>10}")
    for side, values in results.items():
        print(
            f"{side:<14}{statistics.median(values):>12.0f}{pct95(values):>10.0f}"
            f"{min(values):>10.0f}{max(values):>10.0f}"
        )


if __name__ == "__main__":
    main()
