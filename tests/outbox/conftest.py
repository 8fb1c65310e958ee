"""The outbox's outside world, started by the tests on loopback: an SMS gateway (http.server)
that answers as it is told, and an SMTP server (aiosmtpd)."""

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.support.loopback import free_port, serving

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # injected time: no test sleeps
TOKEN = "gateway-test-token"


class Gateway:
    """An SMS gateway taking JSON; answers the scripted (status, body) pairs in order, then
    200 with a message id. Each request is kept: headers and JSON."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[tuple[int, dict[str, Any]]] = []
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with gateway.lock:
                    gateway.requests.append({"headers": dict(self.headers), "json": body})
                    n = len(gateway.requests)
                    status, answer = (
                        gateway.script.pop(0) if gateway.script else (200, {"id": f"gw-{n}"})
                    )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    @property
    def texts(self) -> list[str]:
        return [r["json"]["text"] for r in self.requests]


@pytest.fixture
def gateway(settings) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    gateway = Gateway()
    settings.SMS_BACKEND = "kontaktlaege.outbox.backends.HttpSMSBackend"
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_GATEWAY_TOKEN = TOKEN
    settings.SMS_SENDER = "Laegevideo"
    with serving(gateway.server):
        yield gateway


class MailServer:
    """aiosmtpd's handler: keeps what it accepts; `refuse` maps an address to the reply its
    RCPT TO gets."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.received.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings) -> Iterator[MailServer]:  # type: ignore[no-untyped-def]
    handler = MailServer()
    # aiosmtpd 1.4 cannot be started on port 0 (it checks the port it was given).
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield handler
    finally:
        controller.stop()
