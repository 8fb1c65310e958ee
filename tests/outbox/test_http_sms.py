"""The HTTP SMS adapter against a gateway on loopback: sent, retried after a 500, refused for
good after a 400 (and shown to the clinic), retried while the gateway cannot be reached."""

from datetime import timedelta

from kontaktlaege.outbox import actions
from kontaktlaege.outbox.models import OutboxMessage
from tests.outbox.conftest import T0, TOKEN
from tests.support.loopback import free_port
from tests.support.signin import verified_client

S = OutboxMessage.State
TEXT = "Påmindelse: videokonsultation hos Lægehuset Nørrebro i morgen kl. 10.00."


def _sms(world, number: str = "20 30 40 50") -> OutboxMessage:  # type: ignore[no-untyped-def]
    return actions.enqueue(channel="sms", recipient=number, body=TEXT, clinic=world.clinic, now=T0)


def test_a_sent_sms_keeps_the_gateways_message_id(world, gateway) -> None:  # type: ignore[no-untyped-def]
    message = _sms(world)

    assert actions.deliver_due(T0) == {"sent": 1}

    (request,) = gateway.requests
    assert request["json"] == {"to": "+4520304050", "from": "Laegevideo", "text": TEXT}
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Content-Type"] == "application/json"
    message.refresh_from_db()
    assert (message.state, message.attempts, message.sent_at) == (S.SENT, 1, T0)
    assert message.gateway_id == "gw-1"
    assert message.last_answer == "HTTP 200 gw-1"
    assert actions.deliver_due(T0 + timedelta(hours=1)) == {}  # sent once


def test_a_500_is_retried_after_a_minute_then_sent(world, gateway) -> None:  # type: ignore[no-untyped-def]
    gateway.script = [(500, {"error": "internal error"})]
    message = _sms(world)

    assert actions.deliver_due(T0) == {"retrying": 1}
    message.refresh_from_db()
    assert (message.state, message.attempts) == (S.RETRYING, 1)
    assert message.next_attempt_at == T0 + timedelta(minutes=1)
    assert message.last_answer == "HTTP 500 internal error"
    assert message.claimed_at is None

    assert actions.deliver_due(T0 + timedelta(seconds=59)) == {}  # not due yet
    assert actions.deliver_due(T0 + timedelta(minutes=1)) == {"sent": 1}
    message.refresh_from_db()
    assert (message.state, message.attempts) == (S.SENT, 2)
    assert message.sent_at == T0 + timedelta(minutes=1)
    assert gateway.texts == [TEXT, TEXT]


def test_a_refusal_fails_at_once_and_the_clinic_sees_it(world, gateway) -> None:  # type: ignore[no-untyped-def]
    gateway.script = [(400, {"error": "+4520304050 is not a mobile number"})]
    message = _sms(world)

    assert actions.deliver_due(T0) == {"failed": 1}
    message.refresh_from_db()
    assert (message.state, message.attempts) == (S.FAILED, 1)
    # The gateway's answer is kept without the number in it.
    assert message.last_answer == "HTTP 400 [modtager] is not a mobile number"
    assert actions.deliver_due(T0 + timedelta(days=1)) == {}  # never sent again

    page = verified_client(world.secretary).get("/klinik/udbakke/").content.decode()
    assert "Fejlet" in page
    assert "HTTP 400 [modtager] is not a mobile number" in page
    assert "+45 •• •• •• 50" in page
    assert "Påmindelse: videokonsultation" in page  # the clinic's own staff read the text
    assert "+4520304050" not in page


def test_a_gateway_that_cannot_be_reached_is_tried_again(world, gateway, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{free_port()}/sms"  # nothing listens
    message = _sms(world)

    assert actions.deliver_due(T0) == {"retrying": 1}
    message.refresh_from_db()
    assert message.state == S.RETRYING
    assert message.last_answer.startswith("no answer: ConnectionRefusedError")

    settings.SMS_GATEWAY_URL = gateway.url
    assert actions.deliver_due(T0 + timedelta(minutes=1)) == {"sent": 1}


def test_a_gateway_asking_to_slow_down_is_tried_again(world, gateway) -> None:  # type: ignore[no-untyped-def]
    gateway.script = [(429, {"error": "rate limited"})]
    _sms(world)
    assert actions.deliver_due(T0) == {"retrying": 1}
    assert actions.deliver_due(T0 + timedelta(minutes=1)) == {"sent": 1}


def test_a_gateway_url_in_clear_is_refused_and_nothing_is_lost(world, gateway, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SMS_GATEWAY_URL = "http://sms.example.com/send"  # the token would travel in clear
    message = _sms(world)

    assert actions.deliver_due(T0) == {"retrying": 1}
    message.refresh_from_db()
    assert message.last_answer == "backend error: ImproperlyConfigured"
    assert gateway.requests == []
