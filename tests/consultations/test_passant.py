"""Passant (reference 002): clinic staff queue a patient who is not listed at the clinic, found
by CPR number; the look-up is audited and limited like every CPR look-up, and the person can
be sent an invitation link to the entry."""

import re
from typing import Any

from django.test import Client

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.consultations.snapshots import clinic_snapshot
from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.outbox.models import OutboxMessage
from kontaktlaege.video.models import Invite
from tests.support import factories
from tests.support.personas import World

URL = "/klinik/passant/"


def test_a_patient_of_another_clinic_is_found_audited_and_queued(
    as_user: Any, world: World
) -> None:
    cpr = factories.citizen(world.other_ydernummer, "Karen Mogensen")
    response = as_user(world.secretary).post(
        URL, {"cpr": cprlib.formatted(cpr), "reason": "Udslæt på armen"}
    )
    assert response.status_code == 302 and response["Location"] == "/klinik/"

    c = Consultation.objects.get()
    assert (c.kind, c.state, c.clinic) == ("passant", "queued", world.clinic)
    assert c.citizen_name == "Karen Mogensen" and c.citizen_cpr == cpr
    looked_up = AuditEntry.objects.get(action="cpr_lookup")
    assert looked_up.actor == world.secretary and looked_up.citizen_cpr_hash == c.citizen_cpr_hash
    assert AuditEntry.objects.filter(action="consultation_queued", consultation_id=c.pk).exists()
    [entry] = clinic_snapshot(world.clinic.pk)["entries"]
    assert entry["kind_label"] == "Passant" and entry["citizen_name"] == "Karen Mogensen"
    # Nobody is on the other end yet: the entry does not show as connected.
    assert entry["connected"] is False
    assert not OutboxMessage.objects.exists()


def test_with_a_phone_number_the_passant_gets_a_link_to_the_entry(
    as_user: Any, world: World
) -> None:
    cpr = factories.citizen(world.other_ydernummer, "Karen Mogensen")
    as_user(world.gp).post(URL, {"cpr": cpr, "reason": "Udslæt", "address": "20 30 40 50"})
    c = Consultation.objects.get()
    invite = Invite.objects.get()
    assert invite.consultation == c and invite.invitee_name == "Karen Mogensen"
    link = re.search(r"http://testserver(/invitation/\S+/)", OutboxMessage.objects.get().body)
    assert link

    person = Client()
    person.post(link.group(1), {"name": "Karen"})
    assert person.post("/invitation/udstyrstjek/")["Location"] == "/invitation/venter/"
    # The same entry, now with its person connected: not a second one.
    assert Consultation.objects.count() == 1
    [entry] = clinic_snapshot(world.clinic.pk)["entries"]
    assert entry["id"] == c.pk and entry["connected"] is True


def test_malformed_and_unknown_cpr_numbers_get_a_clear_error(as_user: Any, world: World) -> None:
    client = as_user(world.gp)
    malformed = client.post(URL, {"cpr": "12345", "reason": "Udslæt"})
    assert "Et CPR-nummer består af 10 cifre" in malformed.content.decode()
    assert not AuditEntry.objects.filter(action="cpr_lookup").exists()

    unknown = client.post(URL, {"cpr": "010203-1234", "reason": "Udslæt"})
    assert unknown.status_code == 200
    assert "CPR-nummeret findes ikke i CPR-registret." in unknown.content.decode()
    assert AuditEntry.objects.get(action="cpr_lookup").detail == {"found": False}
    assert not Consultation.objects.exists()


def test_the_look_up_limit_holds_for_clinic_staff_too(
    as_user: Any, world: World, settings: Any
) -> None:
    settings.CPR_LOOKUP_LIMIT = 1
    client = as_user(world.gp)
    client.post(URL, {"cpr": "010203-1234", "reason": "Udslæt"})
    refused = client.post(URL, {"cpr": world.cpr2, "reason": "Udslæt"})
    assert "Du har slået 1 CPR-numre op på kort tid" in refused.content.decode()
    assert AuditEntry.objects.filter(action="cpr_lookup_refused").count() == 1
    assert not Consultation.objects.exists()


def test_only_clinic_staff_add_passants(as_user: Any, world: World) -> None:
    assert as_user(world.carer).get(URL).status_code == 403
    assert Client().post(URL, {"cpr": world.cpr, "reason": "x"}).status_code == 302
    assert not Consultation.objects.exists()
