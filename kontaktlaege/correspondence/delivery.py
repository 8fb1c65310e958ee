"""Delivery of CareCommunication messages through an adapter (MEDCOM_ADAPTER), in the
outbox's pattern (outbox/actions.py): a due row is claimed by a conditional UPDATE, so of
several scheduler processes exactly one sends it; a temporary failure is retried after the
outbox's back-off until OUTBOX_MAX_ATTEMPTS; a refusal fails at once. Nothing is lost: a
failed message stays, with its state, attempts and the receiver's answer, on the clinic's
correspondence page.

Adapters: the embedded default (EmbeddedAdapter) delivers inside the product at once, into
the receiving municipality's or clinic's inbox; HttpAdapter posts the bundle to
MEDCOM_ENDPOINT_URL (mutual TLS with MEDCOM_CLIENT_CERT/KEY, MEDCOM_CA_FILE), sent by the
scheduler."""

import http.client
import logging
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from kontaktlaege.audit.log import record
from kontaktlaege.outbox.actions import STALE_CLAIM, due_ids, settle
from kontaktlaege.outbox.actions import claim as claim_row
from kontaktlaege.outbox.backends import LOOPBACK, TEMPORARY_4XX, Result

from .models import CareCommunication

log = logging.getLogger(__name__)
M = CareCommunication


class BaseAdapter:
    """Delivers one message; `immediate` adapters deliver right after the sending commit."""

    immediate = False

    def deliver(self, message: CareCommunication) -> Result:
        raise NotImplementedError


class EmbeddedAdapter(BaseAdapter):
    """The embedded default: the message is delivered inside the product (the receiver's
    inbox is the same table). Nothing leaves the machine."""

    immediate = True
    ANSWER = "embedded"

    def deliver(self, message: CareCommunication) -> Result:
        return Result("sent", self.ANSWER)


class HttpAdapter(BaseAdapter):
    """POST the bundle (application/fhir+json) to MEDCOM_ENDPOINT_URL over HTTPS with a
    client certificate. 2xx: delivered; 5xx, 408/425/429, timeouts and connection errors:
    retry; any other 4xx: refused (visible as failed)."""

    def __init__(
        self,
        url: str | None = None,
        cert: str | None = None,
        key: str | None = None,
        ca_file: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.url = url if url is not None else settings.MEDCOM_ENDPOINT_URL
        self.timeout = timeout if timeout is not None else settings.MEDCOM_TIMEOUT
        cert = cert if cert is not None else settings.MEDCOM_CLIENT_CERT
        key = key if key is not None else settings.MEDCOM_CLIENT_KEY
        ca_file = ca_file if ca_file is not None else settings.MEDCOM_CA_FILE
        parts = urllib.parse.urlsplit(self.url)
        handlers: list[Any] = [_NoRedirect]
        if parts.scheme == "https":
            context = ssl.create_default_context(cafile=ca_file or None)
            if cert:
                context.load_cert_chain(cert, key or None)
            handlers.append(urllib.request.HTTPSHandler(context=context))
        elif not (parts.scheme == "http" and parts.hostname in LOOPBACK):
            # Health data would cross the network in clear.
            raise ImproperlyConfigured("MEDCOM_ENDPOINT_URL must be an https:// URL")
        self.opener = urllib.request.build_opener(*handlers)

    def deliver(self, message: CareCommunication) -> Result:
        request = urllib.request.Request(
            self.url,
            data=message.bundle.encode(),
            headers={"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"},
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            # The body may echo the message: only the status is kept.
            answer = f"HTTP {error.code}"
            if 400 <= error.code < 500 and error.code not in TEMPORARY_4XX:
                return Result("refused", answer)
            return Result("retry", answer)
        except (TimeoutError, urllib.error.URLError, http.client.HTTPException, OSError) as error:
            reason = getattr(error, "reason", error)
            return Result("retry", f"no answer: {type(reason).__name__}"[:300])
        return Result("sent", f"HTTP {status}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def get_adapter(path: str | None = None, **kwargs: object) -> BaseAdapter:
    cls = import_string(path or settings.MEDCOM_ADAPTER)
    return cls(**kwargs)  # type: ignore[no-any-return]


def claim(pk: int, now: datetime) -> bool:
    """Take the row for this process: true for exactly one of several callers."""
    return claim_row(pk, now, M)


def deliver_one(pk: int, now: datetime, adapter: BaseAdapter | None = None) -> str:
    """Claim, deliver and record one message; its new state, or "" when another process
    had claimed it."""
    if not claim(pk, now):
        return ""
    message = M.objects.get(pk=pk)
    try:
        result = (adapter or get_adapter()).deliver(message)
    except Exception as error:  # a broken adapter must not lose the row
        log.error("correspondence: message %d: adapter raised %s", pk, type(error).__name__)
        result = Result("retry", f"adapter error: {type(error).__name__}")
    return _finish(message, result, now)


def _finish(message: CareCommunication, result: Result, now: datetime) -> str:
    with transaction.atomic():
        if not settle(message, result, now, delivered_at=now):
            log.warning("correspondence: message %d was taken over while sending", message.pk)
            return ""
        record(
            f"carecommunication_{message.state}",
            clinic=message.clinic_id,
            municipality=message.municipality_id,
            consultation=message.consultation_id,
            detail={"message": message.pk, "attempts": message.attempts},
        )
    level = logging.WARNING if message.state == M.State.FAILED else logging.INFO
    log.log(
        level,
        "correspondence: message %d %s after %d attempt(s)",
        message.pk,
        message.state,
        message.attempts,
    )
    return str(message.state)


def release_stale(now: datetime) -> int:
    """Rows left "sending" by a process that died: back to retrying (or failed)."""
    count = 0
    for message in M.objects.filter(state=M.State.SENDING, claimed_at__lt=now - STALE_CLAIM):
        state = (
            M.State.RETRYING if message.attempts < settings.OUTBOX_MAX_ATTEMPTS else M.State.FAILED
        )
        count += M.objects.filter(pk=message.pk, claimed_at=message.claimed_at).update(
            state=state, claimed_at=None, next_attempt_at=now, last_answer="interrupted"
        )
    return count


def deliver_due(now: datetime | None = None, adapter: BaseAdapter | None = None) -> Counter[str]:
    """Deliver every message that is due at `now`; the count per outcome."""
    now = now or timezone.now()
    release_stale(now)
    outcomes: Counter[str] = Counter()
    ids = due_ids(now, M)
    if ids and adapter is None:
        try:
            adapter = get_adapter()
        except Exception as error:  # misconfigured: each message waits for the next round
            log.error("correspondence: adapter unavailable: %s", type(error).__name__)
            return outcomes
    for pk in ids:
        outcome = deliver_one(pk, now, adapter)
        if outcome:
            outcomes[outcome] += 1
    return outcomes


def deliver_now(pk: int) -> None:
    """After the sending commit: an immediate adapter delivers at once; never raises (the
    scheduler delivers what is left)."""
    try:
        adapter = get_adapter()
        if adapter.immediate:
            deliver_one(pk, timezone.now(), adapter)
    except Exception:
        log.exception("correspondence: message %d: immediate delivery failed", pk)


def run_scheduled(now: datetime | None = None) -> None:
    """The scheduler's call: never raises."""
    try:
        outcomes = deliver_due(now)
        if outcomes:
            log.info("correspondence: %s", dict(outcomes))
    except Exception:
        log.exception("correspondence: delivery round failed")
