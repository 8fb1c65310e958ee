"""A real server for the video browser tests: daphne in its own process, on a spare port,
reading the run's SQLite test database file, and Chromium with fake camera and microphone."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests import live

ROOT = Path(__file__).resolve().parents[2]
# Short, so the "the other party left" path is reached within a test.
GRACE_SECONDS = 3


@pytest.fixture(scope="session")
def video_server(django_db_setup: None, django_db_blocker) -> Iterator[str]:  # type: ignore[no-untyped-def]
    database_url = live.database_url_of(connection.settings_dict)
    port = live.free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VIDEO_GRACE_SECONDS": str(GRACE_SECONDS),
        "LOG_LEVEL": "WARNING",
    }
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
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        raise RuntimeError("daphne did not start")
    yield url
    server.terminate()
    server.wait(10)


# Per module: Playwright's sync API keeps an event loop in this thread while it runs, and
# the other tests of the run need the thread without one.
@pytest.fixture(scope="module")
def chromium():  # type: ignore[no-untyped-def]
    with live.chromium() as browser:
        yield browser
