"""A server process (kontaktlaege.serve) on Django's own ASGI handler: requests leave no
database connection open behind them."""

import os
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.support.server import server_process


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
    with server_process(connection.settings_dict, LOG_LEVEL="WARNING") as (port, server):

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
