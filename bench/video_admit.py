"""Admit → first decoded remote video frame, in real Chromium on loopback.

Starts its own server (kontaktlaege.serve) on a temporary SQLite database, signs in an
employee and a doctor through the login pages, and runs 10 calls: the employee waits, the
doctor presses "Start", and the time until each side shows its first remote frame is measured.

    .venv/bin/python bench/video_admit.py [--calls 10]
"""

import argparse
import statistics
import tempfile
import time

from browserkit import in_thread, launch, p95, prepare, sign_in, start_server


def people() -> tuple:
    """A clinic with one doctor, and an employee; both with a TOTP device."""
    from tests import factories

    clinic = factories.ClinicFactory(name="Lægehuset Bench")
    ydernummer = factories.YdernummerFactory(clinic=clinic)
    gp = factories.ClinicStaffFactory(username="bench-gp", clinic=clinic)
    carer = factories.EmployeeFactory(username="bench-carer")
    return ydernummer, gp, carer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kl-bench-") as tmp:
        env = prepare(tmp)
        from playwright.sync_api import sync_playwright

        from kontaktlaege.consultations import actions

        ydernummer, gp, carer = people()
        server, base_url = start_server(env)
        results: dict[str, list[float]] = {"læge": [], "medarbejder": [], "begge": []}
        try:
            with sync_playwright() as p:
                browser = launch(p)
                employee = sign_in(browser, base_url, carer)
                doctor = sign_in(browser, base_url, gp)
                for n in range(args.calls):
                    c = in_thread(
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
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    print()
    print(f"Admit → first decoded remote frame, Chromium on loopback, {args.calls} calls")
    print(f"{'side':<14}{'median ms':>12}{'p95 ms':>10}{'min ms':>10}{'max ms':>10}")
    for side, values in results.items():
        print(
            f"{side:<14}{statistics.median(values):>12.0f}{p95(values):>10.0f}"
            f"{min(values):>10.0f}{max(values):>10.0f}"
        )


if __name__ == "__main__":
    main()
