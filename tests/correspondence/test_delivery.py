"""The HTTP adapter against a MedCom endpoint on loopback (http.server, started here):
delivered, retried after a 500, refused for good after a 400 and shown to the clinic, and
retried while nothing answers. Time is injected: no test sleeps."""

import json
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from kontaktlaege.correspondence import actions, delivery, validator
from kontaktlaege.correspondence.models import CareCommunication
from tests.correspondence.helpers import called
from tests.outbox.conftest import T0
from tests.support.loopback import free_port, serving
from tests.support.signin import verified_client

M = CareCommunication
S = M.State
NOTE = "Set over video: tør hoste, ingen feber."


class Endpoint:
    """Takes FHIR bundles; answers the scripted statuses in order, then 202."""

    def __init__(self) -> None:
        self.bundles: list[dict[str, Any]] = []
        self.content_types: list[str] = []
        self.script: list[int] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                endpoint.bundles.append(json.loads(body))
                endpoint.content_types.append(self.headers["Content-Type"])
                status = endpoint.script.pop(0) if endpoint.script else 202
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/medcom"


@pytest.fixture
def endpoint(settings) -> Iterator[Endpoint]:  # type: ignore[no-untyped-def]
    endpoint = Endpoint()
    settings.MEDCOM_ADAPTER = "kontaktlaege.correspondence.delivery.HttpAdapter"
    settings.MEDCOM_ENDPOINT_URL = endpoint.url
    with serving(endpoint.server):
        yield endpoint


def _note(world, django_capture_on_commit_callbacks) -> CareCommunication:  # type: ignore[no-untyped-def]
    consultation = called(world)
    with django_capture_on_commit_callbacks(execute=True):
        note = actions.send_note(world.gp, consultation.pk, NOTE)
    note.refresh_from_db()
    assert note.state == S.QUEUED  # the HTTP adapter leaves it to the scheduler
    M.objects.filter(pk=note.pk).update(next_attempt_at=T0)
    return note


def test_delivered(world, endpoint, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    note = _note(world, django_capture_on_commit_callbacks)

    assert delivery.deliver_due(T0) == {"sent": 1}

    (bundle,) = endpoint.bundles
    assert endpoint.content_types == ["application/fhir+json"]
    assert validator.problems(bundle) == []
    assert bundle["entry"][0]["resource"]["id"] == str(note.message_id)
    note.refresh_from_db()
    assert (note.state, note.attempts, note.delivered_at) == (S.SENT, 1, T0)
    assert delivery.deliver_due(T0 + timedelta(hours=1)) == {}  # delivered once
    # Delivered: it is in the municipality's inbox.
    inbox = verified_client(world.carer2).get("/kommune/indbakke/").content.decode()
    assert "tør hoste" in inbox


def test_retried_after_a_500(world, endpoint, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    endpoint.script = [500]
    note = _note(world, django_capture_on_commit_callbacks)

    assert delivery.deliver_due(T0) == {"retrying": 1}
    note.refresh_from_db()
    assert (note.state, note.attempts, note.last_answer) == (S.RETRYING, 1, "HTTP 500")
    assert note.next_attempt_at == T0 + timedelta(minutes=1)
    # Not delivered yet: not in the inbox; the clinic sees it is being retried.
    assert (
        "tør hoste" not in verified_client(world.carer2).get("/kommune/indbakke/").content.decode()
    )
    assert (
        "Prøver igen" in verified_client(world.gp).get("/klinik/korrespondance/").content.decode()
    )

    assert delivery.deliver_due(T0 + timedelta(seconds=59)) == {}
    assert delivery.deliver_due(T0 + timedelta(minutes=1)) == {"sent": 1}
    note.refresh_from_db()
    assert (note.state, note.attempts) == (S.SENT, 2)
    assert len(endpoint.bundles) == 2


def test_refused_is_failed_and_visible(world, endpoint, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    endpoint.script = [400]
    note = _note(world, django_capture_on_commit_callbacks)

    assert delivery.deliver_due(T0) == {"failed": 1}
    note.refresh_from_db()
    assert (note.state, note.attempts, note.last_answer) == (S.FAILED, 1, "HTTP 400")
    assert delivery.deliver_due(T0 + timedelta(days=1)) == {}  # never sent again

    page = verified_client(world.gp).get(f"/klinik/konsultation/{note.consultation_id}/notat/")
    text = page.content.decode()
    assert "Fejlet" in text and "HTTP 400" in text
    assert "Fejlet" in verified_client(world.gp).get("/klinik/korrespondance/").content.decode()


def test_nothing_answering_is_retried(
    world, endpoint, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDCOM_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}/medcom"
    note = _note(world, django_capture_on_commit_callbacks)

    assert delivery.deliver_due(T0) == {"retrying": 1}
    note.refresh_from_db()
    assert note.state == S.RETRYING and note.last_answer.startswith("no answer")


def test_two_schedulers_deliver_once(world, endpoint, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    note = _note(world, django_capture_on_commit_callbacks)
    assert delivery.claim(note.pk, T0) is True
    assert delivery.claim(note.pk, T0) is False  # the other process's claim finds it taken


def test_only_https_leaves_the_machine(settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImproperlyConfigured):
        delivery.HttpAdapter(url="http://medcom.example.org/")
    assert delivery.HttpAdapter(url="https://medcom.example.org/").url.startswith("https://")


# run_once() closes the connection it found, as between its rounds: outside a test transaction.
@pytest.mark.django_db(transaction=True)
def test_the_scheduler_delivers_what_is_due(
    world, endpoint, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from kontaktlaege.consultations.scheduler import run_once

    note = _note(world, django_capture_on_commit_callbacks)
    run_once()
    note.refresh_from_db()
    assert note.state == S.SENT
    assert len(endpoint.bundles) == 1
