"""The HTTP adapter's mutual TLS: an endpoint on loopback that demands a client certificate
of its own CA (certificates made here with `cryptography`). With MEDCOM_CLIENT_CERT/KEY and
MEDCOM_CA_FILE the bundle is delivered; without the client certificate the handshake fails
and the message waits for a retry, never lost."""

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kontaktlaege.correspondence import actions, delivery
from kontaktlaege.correspondence.models import CareCommunication
from tests.correspondence.helpers import called
from tests.outbox.conftest import T0
from tests.support.loopback import serving

M = CareCommunication


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _cert(
    name: str, key: Any, issuer: Any, issuer_key: Any, *, ca: bool = False, ip: bool = False
) -> x509.Certificate:  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: Any) -> tuple[str, str]:
    cert_path, key_path = path.with_suffix(".crt"), path.with_suffix(".key")
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls(tmp_path: Path) -> Iterator[dict[str, Any]]:
    ca_key = _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test MedCom CA")])
    ca = _cert("Test MedCom CA", ca_key, ca_name, ca_key, ca=True)
    ca_file, _ = _write(tmp_path / "ca", ca, ca_key)
    server_key, client_key = _key(), _key()
    server_cert, server_key_file = _write(
        tmp_path / "server", _cert("127.0.0.1", server_key, ca_name, ca_key, ip=True), server_key
    )
    client_cert, client_key_file = _write(
        tmp_path / "client", _cert("Kontakt Læge", client_key, ca_name, ca_key), client_key
    )
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=ca_file)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(server_cert, server_key_file)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server):
        yield {
            "url": f"https://127.0.0.1:{server.server_address[1]}/medcom",
            "ca_file": ca_file,
            "cert": client_cert,
            "key": client_key_file,
            "received": received,
        }


def _queued(world, settings, django_capture_on_commit_callbacks) -> CareCommunication:  # type: ignore[no-untyped-def]
    settings.MEDCOM_ADAPTER = "kontaktlaege.correspondence.delivery.HttpAdapter"
    consultation = called(world)
    with django_capture_on_commit_callbacks(execute=True):
        note = actions.send_note(world.gp, consultation.pk, "Tør hoste, ingen feber.")
    M.objects.filter(pk=note.pk).update(next_attempt_at=T0)
    return note


def test_delivered_with_the_client_certificate(
    world, settings, tls, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    note = _queued(world, settings, django_capture_on_commit_callbacks)
    adapter = delivery.HttpAdapter(
        url=tls["url"], cert=tls["cert"], key=tls["key"], ca_file=tls["ca_file"]
    )
    assert delivery.deliver_due(T0, adapter) == {"sent": 1}
    note.refresh_from_db()
    assert (note.state, note.last_answer) == (M.State.SENT, "HTTP 201")
    assert len(tls["received"]) == 1


def test_without_the_client_certificate_it_waits_for_a_retry(
    world, settings, tls, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    note = _queued(world, settings, django_capture_on_commit_callbacks)
    adapter = delivery.HttpAdapter(url=tls["url"], cert="", key="", ca_file=tls["ca_file"])
    assert delivery.deliver_due(T0, adapter) == {"retrying": 1}
    note.refresh_from_db()
    assert note.state == M.State.RETRYING and note.last_answer.startswith("no answer")
    assert tls["received"] == []
