"""A real TURN server for the tests and the benchmark: Debian's coturn (`turnserver`, installed by
`make test`) on loopback, in the foreground, with the REST-API secret scheme the product's
credentials follow; and a minimal TURN client that asks it for a relay allocation. Imports
nothing of Django: bench/ uses it before any settings exist."""

import hashlib
import hmac
import os
import random
import secrets
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import zlib
from pathlib import Path
from typing import Literal

from tests.support.loopback import wait_port

TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"
REALM = "kontaktlaege.test"

Transport = Literal["udp", "tcp"]  # how the minimal client below reaches the server
# The paths a browser may take to the server: UDP or TCP to its port, TLS to its TLS port.
Route = Literal["udp", "tcp", "tls"]


def free_udp_and_tcp_port() -> int:
    """A loopback port free for both UDP and TCP (coturn listens on both)."""
    while True:
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port


class Coturn:
    """coturn on 127.0.0.1:`port` with `use-auth-secret` and `secret`, relaying between
    loopback addresses (which a production server refuses). Its configuration, log, pid file
    and user database live in a temporary directory of its own; `stop()` ends it, `start()`
    brings it back on the same ports with no allocations (as a restarted server), with the
    listeners named: `udp=False` is a network where UDP does not reach the TURN server, and
    `tcp=False` one where plain TCP does not either. With `tls`, it also serves TURN over TLS
    on `tls_port` (443 in production) with a self-signed certificate made for the purpose."""

    def __init__(self, secret: str | None = None, *, tls: bool = False) -> None:
        self.secret = secret or secrets.token_hex(16)
        self.port = free_udp_and_tcp_port()
        self.tls_port = free_udp_and_tcp_port() if tls else 0
        # Relay ports: a block of 200 picked at random (coturn skips any in use).
        self.min_port = random.randrange(50000, 59800, 200)
        self.dir = Path(tempfile.mkdtemp(prefix="kl-coturn-"))
        self.log = self.dir / "turnserver.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.udp = self.tcp = True
        if tls:
            self._certificate()

    def _certificate(self) -> None:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
            + ["-keyout", str(self.dir / "key.pem"), "-out", str(self.dir / "cert.pem")]
            + ["-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True,
            capture_output=True,
        )

    def urls(self, *paths: Route) -> list[str]:
        """The TURN URLs of this server, for TURN_URLS (UDP and TCP if none are named)."""
        urls = []
        for path in paths or ("udp", "tcp"):
            if path == "tls":
                urls.append(f"turns:127.0.0.1:{self.tls_port}?transport=tcp")
            else:
                urls.append(f"turn:127.0.0.1:{self.port}?transport={path}")
        return urls

    def product_env(self, *paths: Route, relay_only: bool = True) -> dict[str, str]:
        """The settings of a product server that hands out credentials for this server."""
        return {
            "TURN_URLS": ",".join(self.urls(*paths)),
            "TURN_SECRET": self.secret,
            "TURN_RELAY_ONLY": "true" if relay_only else "false",
        }

    def config(self) -> str:
        lines = [
            "listening-ip=127.0.0.1",
            "relay-ip=127.0.0.1",
            f"listening-port={self.port}",
            f"min-port={self.min_port}",
            f"max-port={self.min_port + 199}",
            f"realm={REALM}",
            "use-auth-secret",
            f"static-auth-secret={self.secret}",
            "fingerprint",
            "allow-loopback-peers",
            "no-multicast-peers",
            "no-dtls",
            "no-cli",
            "no-rfc5780",
            f"log-file={self.log}",
            "simple-log",
            f"pidfile={self.dir / 'turnserver.pid'}",
            f"userdb={self.dir / 'turndb'}",
        ]
        if not self.udp:
            lines.append("no-udp")
        if not self.tcp:
            lines.append("no-tcp")
        if self.tls_port:
            lines += [
                f"tls-listening-port={self.tls_port}",
                f"cert={self.dir / 'cert.pem'}",
                f"pkey={self.dir / 'key.pem'}",
            ]
        else:
            lines.append("no-tls")
        return "\n".join(lines) + "\n"

    def start(self, *, udp: bool = True, tcp: bool = True) -> None:
        assert self.proc is None, "already running"
        self.udp, self.tcp = udp, tcp
        conf = self.dir / "turnserver.conf"
        conf.write_text(self.config())
        conf.chmod(0o600)
        out = open(self.dir / "stdout.log", "ab")  # the process holds it open
        self.proc = subprocess.Popen(
            [TURNSERVER, "-c", str(conf)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        out.close()
        try:
            if tcp:
                wait_port(self.port, 20, self.proc)
            if self.tls_port:
                wait_port(self.tls_port, 20, self.proc)
            if udp:
                self._wait_udp()
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"turnserver did not start: {self.log_tail()}") from None

    def _wait_udp(self) -> None:
        end = time.monotonic() + 20
        while time.monotonic() < end:
            try:
                if binding("udp", self.port, timeout=0.5):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("no STUN answer over UDP")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def restart(self, *, udp: bool = True, tcp: bool = True) -> None:
        self.stop()
        self.start(udp=udp, tcp=tcp)

    def log_tail(self, chars: int = 3000) -> str:
        text = ""
        for name in ("turnserver.log", "stdout.log"):
            path = self.dir / name
            if path.exists():
                text += path.read_text(errors="replace")
        return text[-chars:]

    def __enter__(self) -> "Coturn":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- a minimal STUN/TURN client (RFC 5389, RFC 5766) -------------------------------------------

MAGIC = 0x2112A442
BINDING, ALLOCATE = 0x0001, 0x0003
SUCCESS, ERROR = 0x0100, 0x0110
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE = 0x0006, 0x0008, 0x0009
REALM_ATTR, NONCE, REQUESTED_TRANSPORT, FINGERPRINT = 0x0014, 0x0015, 0x0019, 0x8028
XOR_RELAYED_ADDRESS = 0x0016


def _attr(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def _message(method: int, txid: bytes, attrs: list[tuple[int, bytes]], key: bytes = b"") -> bytes:
    body = b"".join(_attr(k, v) for k, v in attrs)
    if key:
        # MESSAGE-INTEGRITY covers the header with the length counting itself (24 bytes).
        header = struct.pack("!HHI", method, len(body) + 24, MAGIC) + txid
        mac = hmac.new(key, header + body, hashlib.sha1).digest()
        body += _attr(MESSAGE_INTEGRITY, mac)
    header = struct.pack("!HHI", method, len(body) + 8, MAGIC) + txid
    crc = (zlib.crc32(header + body) ^ 0x5354554E) & 0xFFFFFFFF
    body += _attr(FINGERPRINT, struct.pack("!I", crc))
    return struct.pack("!HHI", method, len(body), MAGIC) + txid + body


def _parse(data: bytes) -> tuple[int, dict[int, bytes]]:
    kind, length, _magic = struct.unpack("!HHI", data[:8])
    attrs: dict[int, bytes] = {}
    at = 20
    while at < 20 + length:
        a, n = struct.unpack("!HH", data[at : at + 4])
        attrs.setdefault(a, data[at + 4 : at + 4 + n])
        at += 4 + n + (-n % 4)
    return kind, attrs


class _Connection:
    """One client transport to the server: a UDP socket or a TCP connection."""

    def __init__(self, transport: Transport, port: int, timeout: float) -> None:
        kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.transport = transport

    def ask(self, message: bytes) -> tuple[int, dict[int, bytes]]:
        self.sock.send(message)
        if self.transport == "udp":
            return _parse(self.sock.recv(2048))
        header = self._read(20)
        return _parse(header + self._read(struct.unpack("!H", header[2:4])[0]))

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed by the TURN server")
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()


def binding(transport: Transport, port: int, timeout: float = 2) -> bool:
    """Whether the server answers a STUN Binding request."""
    conn = _Connection(transport, port, timeout)
    try:
        kind, _attrs = conn.ask(_message(BINDING, os.urandom(12), []))
        return kind == BINDING | SUCCESS
    finally:
        conn.close()


def allocate(
    transport: Transport, port: int, username: str, password: str, timeout: float = 5
) -> int:
    """Ask for a relay allocation with the long-term credential (username, password), as a
    browser does. Returns 0 on success, else the STUN error code (401: not authenticated)."""
    conn = _Connection(transport, port, timeout)
    udp = bytes([17, 0, 0, 0])  # a UDP relay, the only kind WebRTC asks for
    try:
        # The first request, without credentials, learns the realm and a nonce.
        kind, attrs = conn.ask(_message(ALLOCATE, os.urandom(12), [(REQUESTED_TRANSPORT, udp)]))
        if kind != ALLOCATE | ERROR or _error(attrs) != 401:
            raise AssertionError(f"unexpected first answer {kind:#x} {_error(attrs)}")
        realm, nonce = attrs[REALM_ATTR], attrs[NONCE]
        key = hashlib.md5(f"{username}:{realm.decode()}:{password}".encode()).digest()
        request = _message(
            ALLOCATE,
            os.urandom(12),
            [
                (REQUESTED_TRANSPORT, udp),
                (USERNAME, username.encode()),
                (REALM_ATTR, realm),
                (NONCE, nonce),
            ],
            key,
        )
        kind, attrs = conn.ask(request)
        if kind == ALLOCATE | SUCCESS:
            assert XOR_RELAYED_ADDRESS in attrs, "a success without a relayed address"
            return 0
        return _error(attrs)
    finally:
        conn.close()


def _error(attrs: dict[int, bytes]) -> int:
    value = attrs.get(ERROR_CODE, b"\0\0\0\0")
    return (value[2] & 0x7) * 100 + value[3]
