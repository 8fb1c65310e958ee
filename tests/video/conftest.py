"""A real server for the video browser tests: the product's server (kontaktlaege.serve) in
its own process, on a spare port, reading the run's test database, and Chromium with fake
camera and microphone."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.support import browser, server
from tests.support.video import commit, hints, running  # noqa: F401 (the folder's fixtures)

ROOT = Path(__file__).resolve().parents[2]
# Short, so the "the other party left" path is reached within a test.
GRACE_SECONDS = 3


@pytest.fixture(scope="session")
def video_server(django_db_setup: None, django_db_blocker) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with server.server(
        connection.settings_dict, VIDEO_GRACE_SECONDS=str(GRACE_SECONDS), LOG_LEVEL="WARNING"
    ) as port:
        yield f"http://127.0.0.1:{port}"


# Per module: Playwright's sync API keeps an event loop in this thread while it runs, and
# the other tests of the run need the thread without one.
@pytest.fixture(scope="module")
def chromium():  # type: ignore[no-untyped-def]
    with browser.chromium() as b:
        yield b
