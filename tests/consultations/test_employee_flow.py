"""The employee's call flow through real requests: profile at first sign-in, the citizen's
CPR number with consent, the reason, the queue; and the flow without a CPR number."""

from datetime import date
from html import escape

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation, WaitingRoom
from kontaktlaege.consultations.views import DRAFT
from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.directory.demo import synthetic_cpr
from tests.support import factories

CITIZEN_URL = reverse("consultations:citizen")
REASON_URL = reverse("consultations:reason")
YDERNUMMER_URL = reverse("consultations:by_ydernummer")
DEVICE_CHECK_URL = reverse("videocheck:device_check")


@pytest.fixture
def carer(world, as_user) -> Client:  # type: ignore[no-untyped-def]
    return as_user(world.carer)


def _shows(response, text: str) -> bool:  # type: ignore[no-untyped-def]
    return escape(text) in response.content.decode()


# --- first sign-in ---------------------------------------------------------------------------


def test_first_sign_in_asks_for_role_and_workplace(world, as_user) -> None:  # type: ignore[no-untyped-def]
    newcomer = factories.EmployeeFactory(
        municipality=world.carer.municipality, job_role="", workplace=""
    )
    client = as_user(newcomer)
    for url in ("/", reverse("consultations:employee_start"), CITIZEN_URL):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0] == reverse("accounts:profile")
    response = client.post(reverse("accounts:profile"), {"job_role": "", "workplace": ""})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(
        reverse("accounts:profile"),
        {"job_role": "Social- og sundhedshjælper", "workplace": "Hjemmeplejen Syd"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("consultations:employee_start")
    newcomer.refresh_from_db()
    assert (newcomer.job_role, newcomer.workplace) == (
        "Social- og sundhedshjælper",
        "Hjemmeplejen Syd",
    )
    assert client.get(CITIZEN_URL).status_code == 200


# --- call on behalf of a citizen -----------------------------------------------------------


def _cpr_errors(carer: Client, data: dict[str, str]) -> list[str]:
    response = carer.post(CITIZEN_URL, data)
    assert response.status_code == 200  # the form again, never a redirect or a crash
    errors = [str(e) for e in response.context["form"].errors.get("cpr", [])]
    errors += [str(e) for e in response.context["form"].errors.get("consent", [])]
    for error in errors:
        assert _shows(response, error)
    assert DRAFT not in carer.session
    return errors


@pytest.mark.parametrize(
    "cpr, expected",
    [
        ("12345", "Et CPR-nummer består af 10 cifre"),
        ("1705a0-1234", "Et CPR-nummer består af 10 cifre"),
        ("320132-1001", "ikke en gyldig fødselsdato"),
        ("290201-4001", "ikke en gyldig fødselsdato"),
    ],
)
def test_malformed_cpr_is_refused(world, carer, cpr, expected) -> None:  # type: ignore[no-untyped-def]
    errors = _cpr_errors(carer, {"cpr": cpr, "consent": "on"})
    assert any(expected in e for e in errors)
    assert not Consultation.objects.exists()
    assert not AuditEntry.objects.filter(action="cpr_lookup").exists()


def test_consent_is_required(world, carer) -> None:  # type: ignore[no-untyped-def]
    errors = _cpr_errors(carer, {"cpr": world.cpr})
    assert errors == ["Du skal sikre dig borgerens samtykke og sætte flueben."]
    assert not AuditEntry.objects.filter(action__in=["cpr_lookup", "on_behalf_login"]).exists()


def test_unknown_cpr(world, carer) -> None:  # type: ignore[no-untyped-def]
    unknown = synthetic_cpr(date(1951, 2, 3), 2000)
    errors = _cpr_errors(carer, {"cpr": unknown, "consent": "on"})
    assert errors == ["CPR-nummeret findes ikke i lægeregisteret."]
    lookup = AuditEntry.objects.get(action="cpr_lookup")
    assert lookup.detail == {"found": False}
    assert lookup.citizen_cpr_hash == cprlib.lookup_hash(unknown)
    assert not AuditEntry.objects.filter(action="on_behalf_login").exists()
    assert not Consultation.objects.exists()


def test_citizen_without_own_doctor(world, carer) -> None:  # type: ignore[no-untyped-def]
    cpr = factories.citizen(None, "Grethe Hansen")
    errors = _cpr_errors(carer, {"cpr": cpr, "consent": "on"})
    assert errors == ["Borgeren har ikke en egen læge registreret."]
    assert not Consultation.objects.exists()


def test_own_doctor_without_video(world, carer) -> None:  # type: ignore[no-untyped-def]
    world.clinic.offers_video = False
    world.clinic.save()
    errors = _cpr_errors(carer, {"cpr": world.cpr, "consent": "on"})
    assert len(errors) == 1
    assert "tilbyder ikke videokonsultation" in errors[0]
    assert world.clinic.name in errors[0] and world.clinic.phone in errors[0]
    assert not Consultation.objects.exists()
    assert not AuditEntry.objects.filter(action="on_behalf_login").exists()


def test_on_behalf_success_path(world, carer, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level("INFO")
    response = carer.post(CITIZEN_URL, {"cpr": cprlib.formatted(world.cpr), "consent": "on"})
    assert response.status_code == 302 and response.url == DEVICE_CHECK_URL
    response = carer.post(DEVICE_CHECK_URL)
    assert response.status_code == 302 and response.url == REASON_URL
    # The draft in the session holds the CPR number and the name encrypted, never in clear.
    assert world.cpr not in str(carer.session[DRAFT])
    assert "Inger" not in str(carer.session[DRAFT])
    page = carer.get(REASON_URL)
    assert _shows(page, "Inger Jensen") and _shows(page, world.clinic.name)
    assert not Consultation.objects.exists()  # nothing queued before the reason is given

    response = carer.post(REASON_URL, {"reason": "Borgeren har feber og hoster meget."})
    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("consultations:consultation", args=[consultation.pk])
    assert consultation.kind == Consultation.Kind.ON_BEHALF
    assert consultation.state == Consultation.State.QUEUED
    assert consultation.clinic == world.clinic and consultation.ydernummer == world.ydernummer
    assert consultation.employee == world.carer and consultation.consent_given
    assert consultation.citizen_name == "Inger Jensen"
    assert (consultation.employee_role, consultation.employee_workplace) == (
        "Social- og sundhedshjælper",
        "Hjemmeplejen Nord",
    )
    assert consultation.citizen_cpr == world.cpr
    stored = Consultation.objects.values_list("citizen_cpr_encrypted", flat=True).get()
    assert world.cpr not in stored and world.cpr[:6] not in stored
    assert consultation.citizen_cpr_hash == cprlib.lookup_hash(world.cpr)
    assert DRAFT not in carer.session

    rows = list(AuditEntry.objects.order_by("id"))
    assert [r.action for r in rows] == ["cpr_lookup", "on_behalf_login", "consultation_queued"]
    assert all(r.actor == world.carer for r in rows)
    assert all(r.citizen_cpr_hash == cprlib.lookup_hash(world.cpr) for r in rows)
    assert rows[0].detail == {"found": True}
    assert rows[1].detail == {"consent": True} and rows[1].clinic == world.clinic
    assert rows[2].consultation_id == consultation.pk and rows[2].detail["consent"] is True

    page = carer.get(response.url)
    assert page.status_code == 200 and page.context["snapshot"]["position"] == 1
    # Nothing of the citizen or the reason reaches the application log.
    logged = caplog.text
    for secret in (world.cpr, world.cpr[:6], "Inger Jensen", "feber og hoster"):
        assert secret not in logged


def test_same_citizen_cannot_queue_twice(world, carer, as_user) -> None:  # type: ignore[no-untyped-def]
    for client in (carer, as_user(world.carer2)):
        client.post(CITIZEN_URL, {"cpr": world.cpr, "consent": "on"})
        response = client.post(REASON_URL, {"reason": "Kontrol af blodtryk"})
    assert response.status_code == 200
    assert "Borgeren står allerede i kø hos lægen." in response.context["form"].non_field_errors()
    assert Consultation.objects.count() == 1


@pytest.mark.parametrize(
    "reason, expected",
    [
        ("", "Dette felt er påkrævet."),
        ("   ", "Dette felt er påkrævet."),
        ("ondt", "mindst 5 tegn"),
        ("x" * (settings.REASON_MAX_LENGTH + 1), f"højst have {settings.REASON_MAX_LENGTH} tegn"),
    ],
)
def test_reason_empty_or_too_long_is_refused(world, carer, reason, expected) -> None:  # type: ignore[no-untyped-def]
    carer.post(CITIZEN_URL, {"cpr": world.cpr, "consent": "on"})
    response = carer.post(REASON_URL, {"reason": reason})
    assert response.status_code == 200
    (error,) = response.context["form"].errors["reason"]
    assert expected in error and _shows(response, error)
    assert not Consultation.objects.exists()
    assert DRAFT in carer.session  # the employee can correct it and go on


def test_reason_at_the_limit_is_accepted(world, carer) -> None:  # type: ignore[no-untyped-def]
    carer.post(CITIZEN_URL, {"cpr": world.cpr, "consent": "on"})
    carer.post(REASON_URL, {"reason": "y" * settings.REASON_MAX_LENGTH})
    assert len(Consultation.objects.get().reason) == settings.REASON_MAX_LENGTH


def test_reason_without_a_draft_goes_back_to_start(world, carer) -> None:  # type: ignore[no-untyped-def]
    response = carer.post(REASON_URL, {"reason": "Noget om ingenting"})
    assert response.status_code == 302
    assert response.url == reverse("consultations:employee_start")
    assert not Consultation.objects.exists()


def test_queue_refused_when_the_waiting_room_closed_meanwhile(world, carer) -> None:  # type: ignore[no-untyped-def]
    carer.post(CITIZEN_URL, {"cpr": world.cpr, "consent": "on"})
    actions.set_mode(world.gp, WaitingRoom.Mode.CLOSED)
    response = carer.post(REASON_URL, {"reason": "Borgeren er svimmel"})
    assert response.status_code == 200
    (error,) = response.context["form"].non_field_errors()
    assert "lukket" in error and world.clinic.phone in error
    assert _shows(response, error)
    assert not Consultation.objects.exists()


def test_log_out_citizen_forgets_the_draft(world, carer) -> None:  # type: ignore[no-untyped-def]
    carer.post(CITIZEN_URL, {"cpr": world.cpr, "consent": "on"})
    response = carer.post(reverse("consultations:log_out_citizen"))
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert DRAFT not in carer.session
    assert AuditEntry.objects.filter(action="citizen_logged_out", actor=world.carer).exists()


# --- without a CPR number ------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, expected",
    [
        ("999999", "Der findes ingen læge med det ydernummer."),
        ("12ab56", "Et ydernummer består af 6 cifre."),
        ("1234567", "Et ydernummer består af 6 cifre."),
    ],
)
def test_unknown_or_malformed_ydernummer(world, carer, number, expected) -> None:  # type: ignore[no-untyped-def]
    response = carer.post(YDERNUMMER_URL, {"ydernummer": number, "confirm": "1"})
    assert response.status_code == 200
    assert expected in response.context["form"].errors["ydernummer"]
    assert _shows(response, expected)
    assert DRAFT not in carer.session
    assert not Consultation.objects.exists()


def test_ydernummer_of_a_clinic_without_video(world, carer) -> None:  # type: ignore[no-untyped-def]
    world.clinic.offers_video = False
    world.clinic.save()
    response = carer.post(YDERNUMMER_URL, {"ydernummer": world.ydernummer.number})
    (error,) = response.context["form"].errors["ydernummer"]
    assert "tilbyder ikke videokonsultation" in error and world.clinic.phone in error


def test_without_cpr_confirm_reason_queue(world, carer) -> None:  # type: ignore[no-untyped-def]
    response = carer.post(YDERNUMMER_URL, {"ydernummer": world.ydernummer.number})
    assert response.status_code == 200
    assert _shows(response, world.clinic.name) and _shows(response, "Anne Holm")
    assert DRAFT not in carer.session  # shown to confirm, nothing chosen yet

    response = carer.post(YDERNUMMER_URL, {"ydernummer": world.ydernummer.number, "confirm": "1"})
    assert response.status_code == 302 and response.url == DEVICE_CHECK_URL
    response = carer.post(DEVICE_CHECK_URL)
    assert response.status_code == 302 and response.url == REASON_URL
    response = carer.post(REASON_URL, {"reason": "Aftalt opfølgning på medicin"})
    consultation = Consultation.objects.get()
    assert response.url == reverse("consultations:consultation", args=[consultation.pk])
    assert consultation.kind == Consultation.Kind.WITHOUT_CITIZEN
    assert consultation.state == Consultation.State.QUEUED
    assert consultation.clinic == world.clinic
    assert (consultation.citizen_name, consultation.citizen_cpr_encrypted) == ("", "")
    assert not consultation.consent_given
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["consultation_queued"]


def test_rejected_consultation_shows_the_doctors_message(world, carer) -> None:  # type: ignore[no-untyped-def]
    c = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Aftalt opfølgning")
    actions.reject(world.gp, c.pk, "Ring til mig i morgen kl. 8")
    page = carer.get(reverse("consultations:consultation", args=[c.pk]))
    assert _shows(page, "Afvist videokonsultation")
    assert page.context["snapshot"]["state"] == "rejected"
    assert page.context["snapshot"]["reject_message"] == "Ring til mig i morgen kl. 8"


def test_employee_cancels_and_ends(world, carer) -> None:  # type: ignore[no-untyped-def]
    a = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Første opkald")
    b = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Andet opkald")
    response = carer.post(reverse("consultations:cancel", args=[a.pk]))
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.state == Consultation.State.CANCELLED and a.cancelled_at is not None
    # Cancelling twice is a clear refusal, not a crash.
    again = carer.post(reverse("consultations:cancel", args=[a.pk]), HTTP_ACCEPT="application/json")
    assert again.status_code == 400 and "allerede afsluttet" in again.json()["error"]
    actions.admit(world.gp, b.pk)
    response = carer.post(
        reverse("consultations:employee_end", args=[b.pk]), HTTP_ACCEPT="application/json"
    )
    assert response.json() == {"ok": True}
    b.refresh_from_db()
    assert b.state == Consultation.State.ENDED
