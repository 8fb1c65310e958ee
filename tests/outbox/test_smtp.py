"""E-mail through Django's SMTP backend, read back from a real SMTP server on loopback."""

from datetime import timedelta

from kontaktlaege.outbox import actions
from kontaktlaege.outbox.models import OutboxMessage
from tests.outbox.conftest import T0

S = OutboxMessage.State
SUBJECT = "Din videokonsultation i morgen"
BODY = "Kære Inger Jensen\n\nDu har en videokonsultation hos Lægehuset Nørrebro kl. 10.00."


def _email(world, to: str = "inger@example.dk") -> OutboxMessage:  # type: ignore[no-untyped-def]
    return actions.enqueue(
        channel="email", recipient=to, subject=SUBJECT, body=BODY, clinic=world.clinic, now=T0
    )


def test_an_email_reaches_the_smtp_server(world, smtp_server, settings) -> None:  # type: ignore[no-untyped-def]
    message = _email(world)

    assert actions.deliver_due(T0) == {"sent": 1}

    (mail,) = smtp_server.received
    assert mail["To"] == "inger@example.dk"
    assert mail["X-Envelope-To"] == "inger@example.dk"
    assert mail["From"] == settings.DEFAULT_FROM_EMAIL
    assert mail["Subject"] == SUBJECT
    assert mail.get_content().replace("\r\n", "\n").strip() == BODY
    message.refresh_from_db()
    assert (message.state, message.attempts, message.sent_at) == (S.SENT, 1, T0)
    assert message.last_answer == "smtp: accepted"


def test_a_refused_address_fails_without_the_address_in_the_answer(world, smtp_server) -> None:  # type: ignore[no-untyped-def]
    smtp_server.refuse["ukendt@example.dk"] = "550 5.1.1 <ukendt@example.dk>: no such user"
    message = _email(world, "ukendt@example.dk")

    assert actions.deliver_due(T0) == {"failed": 1}
    message.refresh_from_db()
    assert message.state == S.FAILED
    assert message.last_answer == "SMTP 550 5.1.1 <[modtager]>: no such user"
    assert smtp_server.received == []


def test_a_temporary_refusal_is_retried(world, smtp_server) -> None:  # type: ignore[no-untyped-def]
    smtp_server.refuse["inger@example.dk"] = "451 4.3.0 try again later"
    message = _email(world)

    assert actions.deliver_due(T0) == {"retrying": 1}
    message.refresh_from_db()
    assert (message.state, message.last_answer) == (S.RETRYING, "SMTP 451 4.3.0 try again later")

    del smtp_server.refuse["inger@example.dk"]
    assert actions.deliver_due(T0 + timedelta(minutes=1)) == {"sent": 1}
    assert len(smtp_server.received) == 1


def test_a_mail_server_that_is_down_is_tried_again(world, smtp_server, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.support.loopback import free_port

    settings.EMAIL_PORT = free_port()  # nothing listens there
    message = _email(world)

    assert actions.deliver_due(T0) == {"retrying": 1}
    message.refresh_from_db()
    assert message.last_answer == "no answer: ConnectionRefusedError"
