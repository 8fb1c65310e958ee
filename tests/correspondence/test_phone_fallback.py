"""A consultation that continued by phone ("Fortsat over telefon"), even one the doctor took
by phone straight from the queue and never admitted: the clinic can write its note, and the
note's pages, its message and the summary for the care record say it went on by phone."""

import json
from datetime import timedelta

from django.utils import timezone

from kontaktlaege.consultations import actions as consultations
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.correspondence import actions, fhir, summary, validator
from tests.correspondence.helpers import by_phone, called
from tests.support.personas import join_on_behalf
from tests.support.signin import verified_client

NOTE = "Talt med borgeren over telefon: ingen feber, væske og hvile."


def _topic(bundle: str) -> str:
    entries = json.loads(bundle)["entry"]
    (communication,) = [
        e["resource"] for e in entries if e["resource"]["resourceType"] == "Communication"
    ]
    return str(communication["topic"]["text"])


def _ended(consultation: Consultation, ago: timedelta) -> None:
    Consultation.objects.filter(pk=consultation.pk).update(ended_at=timezone.now() - ago)


def test_the_clinics_recent_list_has_phone_ones_ordered_by_their_end(world) -> None:  # type: ignore[no-untyped-def]
    phone = by_phone(world)
    video = called(world)
    running = join_on_behalf(world, second=True)
    consultations.admit(world.gp, running.pk)
    _ended(phone, timedelta(minutes=5))
    _ended(video, timedelta(minutes=30))
    page = verified_client(world.gp).get("/klinik/korrespondance/").content.decode()
    links = [f"/klinik/konsultation/{c.pk}/notat/" for c in (running, phone, video)]
    assert all(link in page for link in links)
    # The running call first, then the latest ended: the phone one before the older video.
    assert [page.index(link) for link in links] == sorted(page.index(link) for link in links)
    assert page.count("fortsat over telefon – skriv notat") == 1
    # Older than the recent window: gone from the list, whichever way it was taken.
    _ended(phone, timedelta(days=15))
    page = verified_client(world.gp).get("/klinik/korrespondance/").content.decode()
    assert links[1] not in page and links[2] in page
    other = verified_client(world.other_gp).get("/klinik/korrespondance/").content.decode()
    assert links[2] not in other and "fortsat over telefon" not in other


def test_the_note_about_a_phone_consultation_says_so_and_validates(
    world, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    phone, video = by_phone(world), called(world)
    gp = verified_client(world.gp)
    assert (
        "Fortsat over telefon" in gp.get(f"/klinik/konsultation/{phone.pk}/notat/").content.decode()
    )
    assert (
        "Fortsat over telefon"
        not in gp.get(f"/klinik/konsultation/{video.pk}/notat/").content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        note = actions.send_note(world.gp, phone.pk, NOTE)
        video_note = actions.send_note(world.gp, video.pk, NOTE)
    thread = verified_client(world.carer2).get(f"/kommune/indbakke/{phone.pk}/").content.decode()
    assert "Fortsat over telefon" in thread and "Talt med borgeren" in thread
    assert validator.validate(note.bundle) == []
    assert _topic(note.bundle) == fhir.TOPIC_BY_PHONE
    assert _topic(video_note.bundle) == fhir.TOPIC
    assert "fortsat over telefon" in fhir.TOPIC_BY_PHONE
    # The municipality's reply in the same thread keeps the subject.
    with django_capture_on_commit_callbacks(execute=True):
        answer = actions.reply(world.carer2, phone.pk, "Tak for besked.")
    assert validator.validate(answer.bundle) == []
    assert _topic(answer.bundle) == fhir.TOPIC_BY_PHONE


def test_the_summary_says_the_consultation_continued_by_phone(
    world, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    phone = by_phone(world)
    rows = dict(summary.rows(phone))
    assert rows["Startet"].endswith(", over telefon") and rows["Startet"] != "–"
    assert rows["Fortsat over telefon"] == summary._when(phone.phone_fallback_at)
    assert rows["Læge"] == world.gp.display_name
    assert rows["Udfald"] == "Afsluttet"
    assert "Fortsat over telefon" not in dict(summary.rows(called(world)))
    with django_capture_on_commit_callbacks(execute=True):
        note = actions.send_note(world.gp, phone.pk, NOTE)
    assert summary.pdf(phone, [note]).startswith(b"%PDF")
    response = verified_client(world.carer).get(f"/kommune/konsultation/{phone.pk}/resume.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_an_employee_marking_it_leaves_the_doctor_unknown(world) -> None:  # type: ignore[no-untyped-def]
    queued = join_on_behalf(world)
    consultations.continue_by_phone(world.carer, queued.pk)
    queued.refresh_from_db()
    rows = dict(summary.rows(queued))
    assert rows["Læge"] == "–" and "over telefon" in rows["Startet"]
