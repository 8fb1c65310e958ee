"""What the browser benchmarks share: a server process on a temporary SQLite database, signing
in through the login pages, and running Django actions off Playwright's event loop."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.loopback import CHROMIUM, CHROMIUM_ARGS, free_port, wait_port  # noqa: E402

T = TypeVar("T")


def prepare(tmp: str) -> dict[str, str]:
    """Settings for this process and the server: a fresh SQLite database in `tmp`, migrated,
    and Django set up here; returns the server's environment."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
        "KL_VAR_DIR": tmp,
        "DJANGO_SETTINGS_MODULE": "kontaktlaege.settings",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    command = [sys.executable, "manage.py", "migrate", "--noinput", "-v0"]
    subprocess.run(command, cwd=ROOT, env=os.environ, check=True)
    import django

    django.setup()
    return dict(os.environ)


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "kontaktlaege.serve", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_port(port, timeout=30)
    except RuntimeError:
        server.kill()
        raise SystemExit("the server did not start") from None
    return server, f"http://127.0.0.1:{port}"


def launch(playwright: Any) -> Any:
    """Debian's chromium with fake camera and microphone."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def in_thread(fn: Callable[[], T]) -> T:
    """Django actions push hints with async_to_sync: keep them off Playwright's loop."""
    from tests.live import in_own_thread

    return in_own_thread(fn)


def sign_in(browser: Any, base_url: str, user: Any, init_script: str = "") -> Any:
    """A new browser context signed in as `user` (password, then the TOTP code); its page."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import PASSWORD

    context = browser.new_context(base_url=base_url, locale="da-DK")
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
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


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
