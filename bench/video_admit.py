"""Admit → first decoded remote video frame, in real Chromium on loopback.

Starts its own server (daphne) on a temporary SQLite database, signs in an employee and a
doctor through the login pages, and runs 10 calls: the employee waits, the doctor presses
"Start", and the time until each side shows its first remote frame is measured.

    .venv/bin/python bench/video_admit.py [--calls 10]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def configure(tmp: str) -> dict[str, str]:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
        "KL_VAR_DIR": tmp,
        "DJANGO_SETTINGS_MODULE": "kontaktlaege.settings",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    return {**os.environ, **env}


def people() -> tuple:
    """A clinic with one doctor, and an employee; both with a TOTP device."""
    from tests import factories

    clinic = factories.ClinicFactory(name="Lægehuset Bench")
    ydernummer = factories.YdernummerFactory(clinic=clinic)
    gp = factories.ClinicStaffFactory(username="bench-gp", clinic=clinic)
    carer = factories.EmployeeFactory(username="bench-carer")
    return ydernummer, gp, carer


def in_thread(fn):  # type: ignore[no-untyped-def]
    """Django actions push hints with async_to_sync: keep them off Playwright's loop."""
    from django.db import connection

    def run():  # type: ignore[no-untyped-def]
        try:
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def sign_in(browser, base_url: str, user):  # type: ignore[no-untyped-def]
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import PASSWORD

    page = browser.new_context(base_url=base_url).new_page()
    page.goto("/konto/log-ind/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/konto/totp/")
    device = TOTPDevice.objects.get(user=user)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.fill("#id_token", f"{code:0{device.digits}d}")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/konto/" not in url)
    return page


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-v",
            "0",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "kontaktlaege.asgi:application",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("daphne did not start")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kl-bench-") as tmp:
        env = configure(tmp)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        import django

        django.setup()
        from playwright.sync_api import sync_playwright

        from kontaktlaege.consultations import actions

        ydernummer, gp, carer = people()
        server, base_url = start_server(env)
        results: dict[str, list[float]] = {"læge": [], "medarbejder": [], "begge": []}
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
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
