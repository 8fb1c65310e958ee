"""On the wire and at rest (issue 29): pages are never cached and keep camera and microphone
to the site; sockets open only from the site's own origin; request bodies are bounded
before they are read; the SQLite files are the owner's only; CPR numbers are masked in logs
however they are written."""

import os
import socket as tcp
import stat
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings

from kontaktlaege.asgi import application
from kontaktlaege.privacy.apps import _owner_only
from kontaktlaege.privacy.logredact import redact
from tests.support.signin import verified_client
from tests.support.threads import run_async


def test_pages_are_not_cached_and_keep_camera_and_microphone_to_the_site(world, client) -> None:  # type: ignore[no-untyped-def]
    for response in (
        client.get("/konto/log-ind/"),
        verified_client(world.carer).get("/medarbejder/"),
        verified_client(world.gp).get("/klinik/"),
    ):
        assert response["Cache-Control"] == "no-store"
        policy = response["Permissions-Policy"]
        assert "camera=(self)" in policy and "microphone=(self)" in policy
        assert "geolocation=()" in policy
        assert "connect-src 'self';" in response["Content-Security-Policy"] + ";"


@pytest.mark.parametrize(
    ("origin", "opens"),
    [
        (b"http://127.0.0.1:8000", True),
        (b"http://127.0.0.1:9000", False),  # another port: another site
        (b"https://127.0.0.1:8000", False),  # another scheme
        (b"http://127.0.0.1", False),
        (b"", False),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_a_socket_opens_only_from_the_sites_own_origin(origin: bytes, opens: bool) -> None:
    async def connect() -> bool:
        headers = [(b"host", b"127.0.0.1:8000")] + ([(b"origin", origin)] if origin else [])
        comm = WebsocketCommunicator(application, "/ws/forbindelsestest/", headers=headers)
        connected, _ = await comm.connect(timeout=5)
        await comm.disconnect()
        return connected

    assert run_async(connect()) is opens


def _post(base: str, body: bytes, chunked: bool) -> int:
    host, port = base.removeprefix("http://").split(":")
    with tcp.create_connection((host, int(port)), timeout=10) as s:
        head = f"POST /konto/log-ind/ HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
        if chunked:
            s.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
            try:
                for start in range(0, len(body), 65536):
                    chunk = body[start : start + 65536]
                    s.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                s.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # the server answered and closed before the rest
        else:
            s.sendall((head + f"Content-Length: {len(body)}\r\n\r\n").encode())
        answer = s.recv(200).decode("latin-1")
    return int(answer.split()[1])


@pytest.mark.django_db(transaction=True)
def test_a_body_over_the_limit_is_refused_before_it_is_read(live_url: str) -> None:
    big = b"x" * (settings.MAX_REQUEST_BODY_BYTES + 1)
    assert _post(live_url, big, chunked=False) == 413  # said up front: nothing is read
    assert _post(live_url, big, chunked=True) == 413
    with urllib.request.urlopen(live_url + "/healthz", timeout=10) as response:
        assert response.status == 200  # the server is fine


def test_sqlite_files_are_readable_by_the_owner_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = tmp_path / "db.sqlite3"
    for path in (database, tmp_path / "db.sqlite3-wal"):
        path.write_bytes(b"")
        path.chmod(0o644)
    _owner_only(None, SimpleNamespace(vendor="sqlite", settings_dict={"NAME": str(database)}))
    for path in (database, tmp_path / "db.sqlite3-wal"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(settings.VAR_DIR).st_mode) & 0o077 == 0


@pytest.mark.parametrize(
    "written", ["0101801234", "010180-1234", "010180 1234", "010180.1234", "010180–1234"]
)
def test_cpr_numbers_are_masked_in_logs_however_written(written: str) -> None:
    assert redact(f"Not Found: /borger/{written}/") == "Not Found: /borger/[cpr]/"
    assert redact("ordre 12345678901") == "ordre 12345678901"  # not CPR-shaped
