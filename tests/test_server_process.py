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
    with live.daphne_process(
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


SENDS = """
import socket, threading
from twisted.internet import asyncioreactor
asyncioreactor.install()
from twisted.internet import protocol, reactor, tcp
import kontaktlaege.asgi  # installs the transport, as daphne's import of the application does
assert tcp.Port.transport.__name__ == "SendingServer", tcp.Port.transport
big = bytes(range(256)) * 40_000  # 10 MB: more than the kernel takes at once
left_queued = []

class Writer(protocol.Protocol):
    def connectionMade(self):
        self.transport.write(b"first:")
        t = self.transport
        left_queued.append(len(t.dataBuffer) - t.offset + t._tempDataLen)
        t.write(big)
        t.write(b":last")
        t.loseConnection()

port = reactor.listenTCP(0, protocol.Factory.forProtocol(Writer), interface="127.0.0.1")
received = []

def read():
    with socket.create_connection(("127.0.0.1", port.getHost().port)) as s:
        threading.Event().wait(0.2)  # let the server's sends meet a full buffer
        while chunk := s.recv(1 << 16):
            received.append(chunk)
    reactor.callFromThread(reactor.stop)

threading.Thread(target=read).start()
reactor.run()
print(left_queued[0], b"".join(received) == b"first:" + big + b":last")
"""


def test_a_write_goes_out_at_once_and_what_the_kernel_leaves_follows_in_order() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SENDS], capture_output=True, text=True, timeout=60, check=True
    )
    # 0: the first small write was sent by write() itself (Twisted's own path leaves it
    # queued for a later turn of the loop); True: the 10 MB the kernel could not take at
    # once, and what followed it, arrived whole and in order.
    assert out.stdout.split() == ["0", "True"]


def test_websocket_options_are_pretty_printed_only_when_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pprint

    from autobahn.websocket import protocol

    import kontaktlaege.asgi  # noqa: F401 - installs the lazy formatting

    real = pprint.pformat
    made: list[object] = []
    monkeypatch.setattr(pprint, "pformat", lambda value: made.append(value) or real(value))
    options = [("autoPingInterval", 20, "WebSocketFactory"), ("utf8validateIncoming", True, "x")]
    shown = protocol.pformat(options)  # as each connection's options are, for a debug line
    assert made == []
    line = "\n{attrs}".format_map({"attrs": shown})  # as txaio writes a debug line, if it does
    assert line == "\n" + real(options)
    assert made == [options]
    timings = protocol.Timings()
    timings.track("opened")
    assert str(timings) == real(timings._timings)
