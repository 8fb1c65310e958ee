"""Invitations by SMS or e-mail: the clinic sends a one-time link through the outbox; the link
takes the person through the device check into the waiting room, marked invited, or a
signed-in employee into the employee flow. Used, expired, withdrawn, forged and other
clinics' links get a clear page with the clinic's phone number."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.consultations.snapshots import clinic_snapshot
from kontaktlaege.outbox import actions as outbox
from kontaktlaege.outbox.models import OutboxMessage
from kontaktlaege.video import calls
from kontaktlaege.video.invitations import OPENED_SESSION_KEY
from kontaktlaege.video.models import Invite
from tests.support.personas import World

INVITE_PAGE = "/klinik/inviter/"
LINK = re.compile(r"http://testserver(/invitation/\d+/[A-Za-z0-9_-]+/)")


def send(as_user: Any, staff: Any, address: str = "20 30 40 50", **form: str) -> Any:
    return as_user(staff).post(INVITE_PAGE, {"address": address, **form})


def link_of(message: OutboxMessage) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def sent_link(as_user: Any, world: World, **form: str) -> str:
    response = send(as_user, world.gp, **form)
    assert response.status_code == 302, response.content.decode()
    return link_of(OutboxMessage.objects.latest("pk"))


def arrive(client: Client, link: str, name: str = "Inger Jensen") -> Any:
    """Open the link, give a name, pass the device check: the answer of the last step."""
    assert client.get(link).status_code == 200
    opened = client.post(link, {"name": name})
    assert opened.status_code == 302 and opened["Location"] == "/invitation/udstyrstjek/"
    assert client.get("/invitation/udstyrstjek/").status_code == 200
    return client.post("/invitation/udstyrstjek/", {"audio_only": "0"})


def test_an_sms_invitation_goes_through_the_outbox_with_a_one_time_link(
    as_user: Any, world: World
) -> None:
    response = send(as_user, world.secretary, name="Inger Jensen")
    assert response.status_code == 302

    message = OutboxMessage.objects.get()
    assert message.channel == "sms" and message.recipient == "+4520304050"
    assert message.clinic == world.clinic and message.state == OutboxMessage.State.QUEUED
    assert "Lægehuset Nørrebro inviterer dig til en videokonsultation." in message.body
    assert world.clinic.phone in message.body
    path = link_of(message)
    token = path.rstrip("/").rsplit("/", 1)[1]
    invite = Invite.objects.get()
    # At least 128 bits, and the database holds only its hash.
    assert len(token) >= 43 and invite.token_hash == calls.token_hash(token)
    assert token not in str(Invite.objects.values().get())
    assert path.startswith(f"/invitation/{world.clinic.pk}/")
    assert (invite.purpose, invite.channel, invite.clinic) == ("patient", "sms", world.clinic)
    assert invite.invitee_name == "Inger Jensen" and invite.used_at is None
    assert AuditEntry.objects.filter(action="invite_sent", clinic=world.clinic).count() == 1
    # The embedded default delivers the SMS into the outbox, where the clinic reads it.
    assert outbox.deliver_due() == {"sent": 1}
    page = as_user(world.gp).get("/klinik/udbakke/").content.decode()
    assert path in page


def test_the_link_leads_through_the_device_check_into_the_waiting_room_marked_invited(
    as_user: Any, world: World, client: Client
) -> None:
    at = timezone.now() + timedelta(minutes=10)  # within the early-arrival window
    link = sent_link(
        as_user, world, name="Inger Jensen", at=timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")
    )
    page = client.get(link)
    assert "Du er inviteret til en videokonsultation hos Lægehuset Nørrebro." in (
        page.content.decode()
    )
    # Opening (a link preview) does not use the link up.
    assert Invite.objects.get().used_at is None

    done = arrive(client, link, "Inger J.")
    assert done.status_code == 302 and done["Location"] == "/invitation/venter/"
    consultation = Consultation.objects.get()
    assert consultation.kind == Consultation.Kind.INVITED
    assert consultation.state == Consultation.State.QUEUED
    assert consultation.clinic == world.clinic and consultation.citizen_name == "Inger J."
    invite = Invite.objects.get()
    assert invite.used_at is not None and invite.consultation == consultation
    assert OPENED_SESSION_KEY not in client.session
    waiting = client.get("/invitation/venter/").content.decode()
    assert f'data-socket="/ws/konsultation/{consultation.pk}/"' in waiting

    [entry] = clinic_snapshot(world.clinic.pk)["entries"]
    assert entry["kind_label"] == "Inviteret via link" and entry["citizen_name"] == "Inger J."
    local = timezone.localtime(consultation.booked_for)
    assert entry["booked_label"] == f"Aftalt tid kl. {local:%H.%M}"


def test_too_early_the_link_says_from_when_the_room_can_be_entered(
    as_user: Any, world: World, client: Client, settings: Any
) -> None:
    settings.BOOKING_EARLY_MINUTES = 15
    at = timezone.localtime(timezone.now() + timedelta(hours=3)).replace(second=0, microsecond=0)
    link = sent_link(as_user, world, at=at.strftime("%Y-%m-%dT%H:%M"))
    page = client.get(link)
    opens = at - timedelta(minutes=15)
    assert "Det er ikke tid endnu" in page.content.decode()
    assert f"Du kan gå ind i venteværelset fra kl. {opens:%H.%M}." in page.content.decode()
    # Within the window the same link works.
    Invite.objects.update(planned_at=timezone.now() + timedelta(minutes=14))
    assert arrive(client, link).status_code == 302
    assert Consultation.objects.get().kind == Consultation.Kind.INVITED


def test_a_used_link_is_refused_with_the_clinics_phone(
    as_user: Any, world: World, client: Client
) -> None:
    link = sent_link(as_user, world)
    assert arrive(client, link).status_code == 302
    again = Client().get(link)
    assert again.status_code == 410
    html = again.content.decode()
    assert "Linket virker ikke" in html and world.clinic.phone in html
    assert Consultation.objects.count() == 1


def test_two_browsers_with_one_link_queue_once(as_user: Any, world: World) -> None:
    link = sent_link(as_user, world)
    first, second = Client(), Client()
    for c in (first, second):
        c.post(link, {"name": "Inger"})
    assert first.post("/invitation/udstyrstjek/").status_code == 302
    refused = second.post("/invitation/udstyrstjek/")
    assert refused.status_code in (409, 410)
    assert world.clinic.phone in refused.content.decode()
    assert Consultation.objects.count() == 1


def test_expired_and_withdrawn_links_are_refused(as_user: Any, world: World) -> None:
    expired = sent_link(as_user, world)
    Invite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(expired).status_code == 410

    withdrawn = sent_link(as_user, world, address="30405060")
    invite = Invite.objects.latest("pk")
    # Opened before it was withdrawn: the device check does not let the person in either.
    opened = Client()
    opened.post(withdrawn, {"name": "Inger"})
    revoke = f"/klinik/inviter/{invite.pk}/tilbagekald/"
    assert as_user(world.other_gp).post(revoke).status_code == 404
    assert as_user(world.gp).post(revoke).status_code == 302
    page = Client().get(withdrawn)
    assert page.status_code == 410 and world.clinic.phone in page.content.decode()
    assert opened.post("/invitation/udstyrstjek/").status_code == 410
    assert not Consultation.objects.exists()
    assert AuditEntry.objects.filter(action="invite_revoked").count() == 1


def test_forged_links_and_another_clinics_links_are_refused(as_user: Any, world: World) -> None:
    link = sent_link(as_user, world)
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged, _hash = calls.new_token()
    page = Client().get(f"/invitation/{world.clinic.pk}/{forged}/")
    assert page.status_code == 410 and world.clinic.phone in page.content.decode()
    # Clinic A's link at clinic B: refused, with clinic B's phone.
    world.other_clinic.phone = "46 46 46 46"
    world.other_clinic.save()
    elsewhere = Client().get(f"/invitation/{world.other_clinic.pk}/{token}/")
    assert elsewhere.status_code == 410 and "46 46 46 46" in elsewhere.content.decode()
    # A relative's link path does not take a patient's token either.
    assert Client().get(f"/video/gaest/{token}/").status_code == 410
    assert Client().get(f"/invitation/9999/{token}/").status_code == 410
    assert Invite.objects.get().used_at is None


def test_a_signed_in_employee_lands_in_the_employee_flow_for_that_clinic(
    as_user: Any, world: World
) -> None:
    link = sent_link(as_user, world, address="mette@example.dk")
    employee = as_user(world.carer)
    landed = employee.get(link)
    assert landed.status_code == 302 and landed["Location"] == "/medarbejder/udstyrstjek/"
    assert employee.post("/medarbejder/udstyrstjek/")["Location"] == "/medarbejder/aarsag/"
    # The link is used when the call is queued, not before.
    assert Invite.objects.get().used_at is None
    queued = employee.post(
        "/medarbejder/aarsag/",
        {"reason": "Borgeren har feber", "draft_token": employee.session["call_draft"]["token"]},
    )
    assert queued.status_code == 302
    consultation = Consultation.objects.get()
    assert consultation.employee == world.carer and consultation.clinic == world.clinic
    assert consultation.kind == Consultation.Kind.INVITED
    assert Invite.objects.get().consultation == consultation
    assert as_user(world.carer2).get(link).status_code == 410


def test_invitations_to_one_address_are_limited(as_user: Any, world: World, settings: Any) -> None:
    settings.INVITES_PER_ADDRESS = 2
    for _ in range(2):
        assert send(as_user, world.gp, "+45 20 30 40 50").status_code == 302
    refused = send(as_user, world.gp, "20304050")
    assert refused.status_code == 200
    assert "Der er allerede sendt 2 invitationer til denne modtager" in refused.content.decode()
    assert send(as_user, world.gp, "30405060").status_code == 302
    assert OutboxMessage.objects.count() == Invite.objects.count() == 3


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("12", "Telefonnummeret er ikke gyldigt."),
        ("inger@", "Indtast en gyldig e-mail-adresse."),
    ],
)
def test_a_bad_address_gets_a_clear_error(
    as_user: Any, world: World, address: str, error: str
) -> None:
    response = send(as_user, world.gp, address)
    assert response.status_code == 200 and error in response.content.decode()
    assert not Invite.objects.exists() and not OutboxMessage.objects.exists()


def test_the_invitation_page_is_for_clinic_staff(as_user: Any, world: World) -> None:
    assert as_user(world.carer).get(INVITE_PAGE).status_code == 403
    assert Client().get(INVITE_PAGE).status_code == 302
    send(as_user, world.gp, name="Inger Jensen")
    assert "Inger Jensen" in as_user(world.secretary).get(INVITE_PAGE).content.decode()
    assert "Inger Jensen" not in as_user(world.other_gp).get(INVITE_PAGE).content.decode()


def test_the_waiting_page_needs_the_invitation_in_the_session(
    as_user: Any, world: World, client: Client
) -> None:
    assert client.get("/invitation/venter/").status_code == 404
    assert client.get("/invitation/udstyrstjek/").status_code == 404
    link = sent_link(as_user, world)
    arrive(client, link)
    consultation = Consultation.objects.get()
    # The invited person may leave the queue; nobody else can do it for them.
    assert Client().post("/invitation/forlad/").status_code == 404
    left = client.post("/invitation/forlad/", HTTP_ACCEPT="application/json")
    assert left.status_code == 200
    consultation.refresh_from_db()
    assert consultation.state == Consultation.State.CANCELLED
