"""Udbakke: a clinic's staff read their own clinic's messages, newest first; nobody else
reads them."""

from datetime import timedelta

from kontaktlaege.outbox import actions
from tests.outbox.conftest import T0
from tests.support.signin import verified_client

URL = "/klinik/udbakke/"


def _messages(world):  # type: ignore[no-untyped-def]
    older = actions.enqueue(
        channel="sms", recipient="20304050", body="Ældste besked", clinic=world.clinic, now=T0
    )
    newer = actions.enqueue(
        channel="email",
        recipient="inger@example.dk",
        subject="Bekræftelse",
        body="Nyeste besked",
        clinic=world.clinic,
        now=T0 + timedelta(minutes=5),
    )
    foreign = actions.enqueue(
        channel="sms",
        recipient="30405060",
        body="Roskildes besked",
        clinic=world.other_clinic,
        now=T0,
    )
    return older, newer, foreign


def test_staff_read_their_clinics_messages_newest_first(world) -> None:  # type: ignore[no-untyped-def]
    _messages(world)
    actions.deliver_due(T0 + timedelta(minutes=5))  # the embedded default: into the outbox

    response = verified_client(world.gp).get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Nyeste besked") < page.index("Ældste besked")
    assert "Bekræftelse" in page
    assert "i•••@•••.dk" in page and "+45 •• •• •• 50" in page
    assert "Kun leveret i udbakken (ingen SMS-gateway sat op)" in page
    assert "Sendt" in page
    assert "Roskildes besked" not in page
    assert "inger@example.dk" not in page and "20304050" not in page


def test_a_queued_message_shows_as_such(world) -> None:  # type: ignore[no-untyped-def]
    _messages(world)
    page = verified_client(world.secretary).get(URL).content.decode()
    assert page.count(">I kø<") == 2


def test_the_other_clinic_sees_only_its_own(world) -> None:  # type: ignore[no-untyped-def]
    _messages(world)
    page = verified_client(world.other_gp).get(URL).content.decode()
    assert "Roskildes besked" in page
    assert "Nyeste besked" not in page and "Ældste besked" not in page


def test_employees_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    _messages(world)
    assert verified_client(world.carer).get(URL).status_code == 403


def test_the_waiting_rooms_pages_link_to_it(world) -> None:  # type: ignore[no-untyped-def]
    page = verified_client(world.gp).get("/klinik/").content.decode()
    assert f'href="{URL}"' in page
    assert f'href="{URL}"' not in verified_client(world.carer).get("/medarbejder/").content.decode()


def test_in_english_too(world) -> None:  # type: ignore[no-untyped-def]
    _messages(world)
    client = verified_client(world.gp)
    client.post("/sprog/", {"language": "en", "next": URL})
    page = client.get(URL).content.decode()
    assert "Outbox" in page and "In queue" in page and "Udbakke" not in page


def test_a_long_outbox_is_paged_newest_first(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from kontaktlaege.outbox import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    _messages(world)
    client = verified_client(world.gp)
    first = client.get(URL).content.decode()
    second = client.get(URL, {"side": 2}).content.decode()

    assert "Nyeste besked" in first and "Ældste besked" not in first
    assert "Side 1 af 2" in first and 'href="?side=2"' in first and "?side=1" not in first
    assert "Ældste besked" in second and "Side 2 af 2" in second and 'href="?side=1"' in second
