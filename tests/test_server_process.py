"""A server process (kontaktlaege.server): HTTP requests run on kept threads, each keeping its
database connection; a burst's extra threads close theirs when they end (a connection left to
an ended thread stays open until a garbage collection, one per request under Django's own
handler). And full garbage collections come from a timer, not from allocation counts."""

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
    reason="counts open handles on the SQLite database file; on PostgreSQL there is no file and "
    "a bounded pool (DB_POOL) holds the connections (CI runs this in its SQLite pass)",
)
def test_requests_leave_no_database_connection_open(transactional_db: None) -> None:
    database = os.path.realpath(connection.settings_dict["NAME"])
    kept = 2
    with live.server_process(
        connection.settings_dict, LOG_LEVEL="WARNING", HTTP_THREADS_KEPT=str(kept)
    ) as (port, server):

        def get(_: int) -> int:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as r:
                return int(r.status)

        clients = 16
        with ThreadPoolExecutor(clients) as pool:
            statuses = list(pool.map(get, range(600)))
        assert statuses == [200] * 600
        # SQLite keeps a closed connection's file open for the process's next connection while
        # others hold locks on the file: bounded by the connections open at once (a thread per
        # client, the socket thread's and the scheduler's), not by the number of requests.
        assert open_files_of(server.pid, database) <= clients + 2
