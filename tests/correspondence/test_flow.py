"""The note's way through the product with the embedded adapter: the doctor sends it, only
the calling employee's municipality gets it, an employee there replies and the clinic sees
the reply; the summary (PDF, FHIR); the note encrypted at rest and never in the logs."""

import json
import logging

from django.db import connection

from kontaktlaege.consultations.models import Consultation
from kontaktlaege.correspondence import actions, validator
from kontaktlaege.correspondence.models import CareCommunication
from tests.correspondence.helpers import called
from tests.support.personas import join_on_behalf
from tests.support.signin import verified_client

M = CareCommunication
NOTE = "Set over video: tør hoste, ingen feber. Hjemmeplejen holder øje med væske."
REPLY = "Tak, vi tilser borgeren to gange dagligt fra i morgen."


def _raw(field: str, pk: int) -> str:
    column = M._meta.get_field(field).column
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{M._meta.db_table}" WHERE id = %s', [pk])
        return str(cursor.fetchone()[0])


def test_note_reaches_the_municipality_only_and_the_reply_reaches_the_clinic(
    world, caplog, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    consultation = called(world)
    gp = verified_client(world.gp)
    # The clinic's latest consultations lead to the note page (only its own).
    listing = gp.get("/klinik/korrespondance/").content.decode()
    assert f"/klinik/konsultation/{consultation.pk}/notat/" in listing
    other_listing = verified_client(world.other_gp).get("/klinik/korrespondance/").content.decode()
    assert f"/klinik/konsultation/{consultation.pk}/notat/" not in other_listing

    with django_capture_on_commit_callbacks(execute=True):  # delivery runs after the commit
        response = gp.post(f"/klinik/konsultation/{consultation.pk}/notat/", {"text": NOTE})
    assert response.status_code == 302
    note = M.objects.get()
    assert (note.direction, note.state, note.municipality) == (
        M.Direction.TO_MUNICIPALITY,
        M.State.SENT,
        world.carer.municipality,
    )
    assert validator.validate(note.bundle) == []
    # Encrypted at rest: neither the text nor the bundle (CPR, name, text) in clear.
    for field in ("text", "bundle"):
        raw = _raw(field, note.pk)
        assert "tør hoste" not in raw and world.cpr not in raw and "Inger" not in raw

    # The other employee of Copenhagen reads it; Roskilde's sees nothing.
    colleague = verified_client(world.carer2)
    inbox = colleague.get("/kommune/indbakke/").content.decode()
    assert "Inger Jensen" in inbox and "Lægehuset Nørrebro" in inbox and "tør hoste" in inbox
    foreign = verified_client(world.foreign_carer)
    assert "tør hoste" not in foreign.get("/kommune/indbakke/").content.decode()
    assert foreign.get(f"/kommune/indbakke/{consultation.pk}/").status_code == 404
    assert foreign.get(f"/kommune/konsultation/{consultation.pk}/resume.pdf").status_code == 404
    # Another clinic does not see the note either.
    other = verified_client(world.other_gp)
    assert other.get(f"/klinik/konsultation/{consultation.pk}/notat/").status_code == 404
    assert "tør hoste" not in other.get("/klinik/korrespondance/").content.decode()

    thread = colleague.get(f"/kommune/indbakke/{consultation.pk}/").content.decode()
    assert "tør hoste" in thread and "Markér som læst" in thread
    colleague.post(f"/kommune/indbakke/{consultation.pk}/laest/")
    note.refresh_from_db()
    assert note.read_by == world.carer2 and note.read_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        colleague.post(f"/kommune/indbakke/{consultation.pk}/svar/", {"text": REPLY})
    answer = M.objects.get(direction=M.Direction.TO_CLINIC)
    assert (answer.state, answer.in_reply_to, answer.clinic) == (M.State.SENT, note, world.clinic)
    bundle = json.loads(answer.bundle)
    assert validator.problems(bundle) == []
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    header = bundle["entry"][0]["resource"]
    receiver = next(
        e["resource"]
        for e in bundle["entry"]
        if f"Organization/{e['resource']['id']}"
        == header["destination"][0]["receiver"]["reference"]
    )
    assert kinds[0] == "MessageHeader"
    assert {"system": "urn:oid:1.2.208.176.1.1", "value": world.clinic.sor_code} in receiver[
        "identifier"
    ]

    page = gp.get(f"/klinik/konsultation/{consultation.pk}/notat/").content.decode()
    assert "vi tilser borgeren" in page and "Markér svar som læst" in page
    listing = gp.get("/klinik/korrespondance/").content.decode()
    assert "1 ulæst" in listing
    gp.post(f"/klinik/konsultation/{consultation.pk}/notat/laest/")
    answer.refresh_from_db()
    assert answer.read_by == world.gp

    # The summary for the care record.
    pdf = colleague.get(f"/kommune/konsultation/{consultation.pk}/resume.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    fhir = colleague.get(f"/kommune/konsultation/{consultation.pk}/fhir.json")
    assert fhir.status_code == 200 and validator.validate(fhir.content) == []
    assert json.loads(fhir.content)["entry"][0]["resource"]["id"] == str(note.message_id)

    logged = caplog.text
    for secret in (NOTE, "tør hoste", REPLY, "tilser borgeren", world.cpr):
        assert secret not in logged


def test_the_summary_pdf_holds_the_consultation_and_the_note(
    world, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from kontaktlaege.correspondence import summary

    consultation = called(world)
    with django_capture_on_commit_callbacks(execute=True):
        note = actions.send_note(world.gp, consultation.pk, NOTE)
    note.refresh_from_db()
    rows = dict(summary.rows(consultation))
    assert rows["Borger"] == "Inger Jensen"
    assert rows["Lægepraksis"] == "Lægehuset Nørrebro"
    assert rows["Hvad drejer konsultationen sig om"] == "Hoste og feber i tre dage"
    assert rows["Udfald"] == "Afsluttet"
    assert rows["Læge"] == world.gp.display_name
    assert summary.pdf(consultation, [note]).startswith(b"%PDF")
    # The employee who called may download it before any note too, from the call's page.
    carer = verified_client(world.carer)
    assert "resume.pdf" in carer.get(f"/konsultation/{consultation.pk}/").content.decode()
    response = carer.get(f"/kommune/konsultation/{consultation.pk}/resume.pdf")
    assert response.status_code == 200


def test_no_note_before_the_call_or_without_addresses(world) -> None:  # type: ignore[no-untyped-def]
    import pytest

    queued = join_on_behalf(world, "Svimmel", second=True)
    with pytest.raises(actions.ActionError):
        actions.send_note(world.gp, queued.pk, NOTE)  # still waiting
    consultation = called(world)
    with pytest.raises(actions.ActionError):
        actions.send_note(world.gp, consultation.pk, "   ")
    with pytest.raises(actions.ActionError):
        actions.send_note(world.gp, consultation.pk, "x" * (actions.NOTE_MAX_LENGTH + 1))
    with pytest.raises(Consultation.DoesNotExist):
        actions.send_note(world.other_gp, consultation.pk, NOTE)  # another clinic's
    world.carer.municipality.ean_number = ""
    world.carer.municipality.save()
    with pytest.raises(actions.ActionError, match="SOR-kode eller EAN"):
        actions.send_note(world.gp, consultation.pk, NOTE)
    assert not M.objects.exists()
