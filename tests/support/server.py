"""Shared pieces of the tests that use a real server or a real browser: Chromium's flags,
signing in as a person does, and the database URL a server subprocess must use."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect, sync_playwright

from kontaktlaege.accounts.models import User
from tests.factories import PASSWORD
from tests.loopback import CHROMIUM, CHROMIUM_ARGS, free_port


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium with fake camera and microphone. Use it with package or module
    scope: Playwright's sync API keeps an event loop running in this thread, which the async
    tests elsewhere must not find."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def server(db: dict[str, Any], **env: str) -> Iterator[int]:
    """A real server process (kontaktlaege.serve) serving the test database `db` on a free
    loopback port; yields the port. `env` adds settings for that process."""
    with server_process(db, **env) as (port, _proc):
        yield port


@contextmanager
def server_process(db: dict[str, Any], **env: str) -> Iterator[tuple[int, "subprocess.Popen[str]"]]:
    """As server(), yielding the process too."""
    port = free_port()
    environ = {**os.environ, "DATABASE_URL": database_url_of(db), **env}
    command = [sys.executable, "-m", "kontaktlaege.serve", "--port", str(port)]
    with tempfile.NamedTemporaryFile("w+", prefix="kl-server-", suffix=".log") as log:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    log.seek(0)
                    raise RuntimeError("the server did not start: " + log.read()[-2000:]) from None
                time.sleep(0.1)
        try:
            yield port, proc
        finally:
            proc.terminate()
            proc.wait(timeout=10)


T = TypeVar("T")


def in_own_thread(fn: Callable[[], T], timeout: float | None = None) -> T:
    """Run `fn` on a thread of its own (outside any event loop a test left running, e.g.
    Playwright's), then close that thread's database connections: on PostgreSQL they come
    from a pool, and a thread that ends holding one would keep it from everyone else."""
    from django.db import connections

    def run() -> T:
        try:
            return fn()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result(timeout=timeout)


def run_async(coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """Run a test scenario on its own thread and event loop. Synchronous ORM calls inside a
    coroutine get connections of the coroutine's own context, which only that context can
    close: they are closed there, before the loop ends."""
    import asyncio

    from django.db import connections

    async def closing() -> T:
        try:
            return await coro
        finally:
            connections.close_all()

    return in_own_thread(lambda: asyncio.run(closing()), timeout)


def database_url_of(db: dict[str, Any]) -> str:
    """The DATABASE_URL of the (test) database this process uses, for a server subprocess."""
    if "sqlite" in db["ENGINE"]:
        return f"sqlite:///{db['NAME']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db.get('USER') or 'postgres'}{password}@{host}:{port}/{db['NAME']}"


def current_code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def sign_in(page: Page, user: User, base: str = "") -> None:
    """Through the real login page: password, then the current TOTP code of the user's device."""
    page.goto(base + "/konto/log-ind/")
    page.get_by_label("Brugernavn").fill(user.username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Næste").click()
    expect(page.get_by_role("heading", name="Bekræft med engangskode")).to_be_visible()
    page.get_by_label("Engangskode fra din app").fill(current_code(user))
    page.get_by_role("button", name="Log ind", exact=True).click()
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()
