"""Delivery adapters, modelled on Django's e-mail backends: SMS_BACKEND names the SMS backend
by dotted path; e-mail goes through Django's EMAIL_BACKEND (console by default, SMTP in
production). Each send gives a Result: sent, retry (a temporary trouble) or refused (a
permanent one: sending again would give the same answer)."""

import http.client
import json
import smtplib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.mime.text import MIMEText
from typing import Literal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string

from .recipients import scrub

Outcome = Literal["sent", "retry", "refused"]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Temporary although in the 4xx range: the gateway timed out or asks us to slow down.
TEMPORARY_4XX = {408, 425, 429}


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    answer: str  # short, without personal data: it is stored and shown
    gateway_id: str = ""


class BaseSMSBackend:
    """Sends one SMS; subclasses implement send()."""

    def send(self, to: str, text: str) -> Result:
        raise NotImplementedError


class OutboxOnlySMSBackend(BaseSMSBackend):
    """The embedded default: the SMS is delivered into the outbox only, where the clinic's
    staff read it (Udbakke). Nothing leaves the machine."""

    ANSWER = "outbox-only"

    def send(self, to: str, text: str) -> Result:
        return Result("sent", self.ANSWER)


class HttpSMSBackend(BaseSMSBackend):
    """An SMS gateway taking JSON over HTTPS: POST {"to", "from", "text"} to SMS_GATEWAY_URL
    with `Authorization: Bearer SMS_GATEWAY_TOKEN`. 2xx: sent (the answer's "id" kept);
    5xx, 408/429, timeouts and connection errors: retry; any other 4xx: refused."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        sender: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.url = url if url is not None else settings.SMS_GATEWAY_URL
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        self.sender = sender if sender is not None else settings.SMS_SENDER
        self.timeout = timeout if timeout is not None else settings.SMS_GATEWAY_TIMEOUT
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
            # The token and the messages would cross the network in clear.
            raise ImproperlyConfigured("SMS_GATEWAY_URL must be an https:// URL")
        # Redirects are not followed: urllib would repeat the POST as a GET, token included.
        self.opener = urllib.request.build_opener(_NoRedirect)

    def send(self, to: str, text: str) -> Result:
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"to": to, "from": self.sender, "text": text}).encode(),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.token}",
            },
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read(4096)
        except urllib.error.HTTPError as error:
            answer = f"HTTP {error.code} {scrub(_text(error.read(4096)), to, text)}".strip()
            if 400 <= error.code < 500 and error.code not in TEMPORARY_4XX:
                return Result("refused", answer)
            return Result("retry", answer)
        except (TimeoutError, urllib.error.URLError, http.client.HTTPException, OSError) as error:
            reason = getattr(error, "reason", error)
            return Result("retry", f"no answer: {type(reason).__name__} {reason}"[:300])
        gateway_id = _message_id(raw)
        return Result("sent", f"HTTP {status} {gateway_id}".strip(), gateway_id)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _text(raw: bytes) -> str:
    """A gateway's error body: its "error"/"message" when JSON, else the text itself."""
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, dict):
        for key in ("error", "message", "detail"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return text


def _message_id(raw: bytes) -> str:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    value = data.get("id") or data.get("message_id") or data.get("messageId") or ""
    return str(value)[:100]


def get_sms_backend(path: str | None = None, **kwargs: object) -> BaseSMSBackend:
    """The SMS backend named by `path` or SMS_BACKEND, as django.core.mail.get_connection."""
    cls = import_string(path or settings.SMS_BACKEND)
    return cls(**kwargs)  # type: ignore[no-any-return]


def send_email(
    to: str, subject: str, body: str, attachment: tuple[str, str, str] | None = None
) -> Result:
    """Through Django's EMAIL_BACKEND. SMTP answers 5xx: refused; 4xx, a dropped or refused
    connection, a timeout: retry. `attachment`: (file name, MIME type with parameters, text)."""
    connection = get_connection(fail_silently=False)
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to], connection=connection)
    if attachment is not None:
        message.attach(_text_part(*attachment))
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        code, reply = next(iter(error.recipients.values()))
        return _smtp_answer(int(code), reply, to)
    except smtplib.SMTPResponseException as error:
        return _smtp_answer(error.smtp_code, error.smtp_error, to)
    except (smtplib.SMTPException, OSError) as error:
        return Result("retry", f"no answer: {type(error).__name__}")
    return Result("sent", f"{type(connection).__module__.rpartition('.')[2]}: accepted")


def _text_part(name: str, mime_type: str, text: str) -> MIMEText:
    """A text attachment whose type keeps its parameters: a calendar file must go as
    "text/calendar; method=REQUEST" for mail programs to offer it as an invitation."""
    kind, *params = (p.strip() for p in mime_type.split(";"))
    part = MIMEText(text, kind.partition("/")[2] or "plain", "utf-8")
    for param in params:
        key, _eq, value = param.partition("=")
        part.set_param(key.strip(), value.strip().strip('"'))
    part.add_header("Content-Disposition", "attachment", filename=name)
    return part


def _smtp_answer(code: int, reply: bytes | str, to: str) -> Result:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    answer = f"SMTP {code} {scrub(text, to)}".strip()
    return Result("refused" if 500 <= code < 600 else "retry", answer)
