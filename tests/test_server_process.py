"""A server process (kontaktlaege.asgi): under ASGI each HTTP request runs on a thread of its
own, and a database connection left to that thread would stay open after it (until a garbage
collection), one per request; the server closes them with each response. And full garbage
collections come from a timer, not from allocation counts."""

import os
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests import live

PROBE = """
import gc, threading
import kontaktlaege.asgi
print(gc.get_threshold()[2], any(t.name == "gc-full" for t in threading.enumerate()))
"""


# Python's own threshold for the oldest generation is 10 (collections of the middle one).
@pytest.mark.parametrize(("seconds", "expected"), [("600", f"{2**31 - 1} True"), ("0", "10 False")])
def test_full_collections_come_from_a_timer_unless_off(seconds: str, expected: str) -> None:
    env = {**os.environ, "GC_FULL_SECONDS": seconds}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == expected


def open_files_of(pid: int, path: str) -> int:
    fds = f"/proc/{pid}/fd"
    return sum(1 for fd in os.listdir(fds) if os.path.realpath(f"{fds}/{fd}") == path)


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="on PostgreSQL connections are borrowed from a bounded pool (DB_POOL)",
)
def test_requests_leave_no_database_connection_open(transactional_db: None) -> None:
    database = os.path.realpath(connection.settings_dict["NAME"])
    with live.daphne_process(connection.settings_dict, LOG_LEVEL="WARNING") as (port, server):

        def get(_: int) -> int:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as r:
                return int(r.status)

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(get, range(300)))
        assert statuses == [200] * 300
        # The socket thread's own connection and the scheduler's may be open; not 300.
        assert open_files_of(server.pid, database) <= 2
