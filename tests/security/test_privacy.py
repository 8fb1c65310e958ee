"""Retention, CPR key rotation, the idle lock and citizen mode on shared tablets."""

import time
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.utils import timezone

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation, Message
from kontaktlaege.consultations.scheduler import run_once
from kontaktlaege.directory.models import RegistryEntry
from kontaktlaege.privacy import retention
from kontaktlaege.privacy import shared_device as sd
from kontaktlaege.privacy.models import RetentionRun
from tests.support.citizens import make_citizen
from tests.support.signin import verified_client

S = Consultation.State


def _finished(world, state: str, days_ago: int, cpr: str = "") -> Consultation:  # type: ignore[no-untyped-def]
    c = actions.join_queue(
        world.carer,
        ydernummer=world.ydernummer,
        reason="Feber og hoste",
        citizen=actions.CitizenOnBehalf(cpr=cpr, name="Inger Jensen") if cpr else None,
        consent_given=bool(cpr),
    )
    actions.send_message(world.gp, c.pk, "Jeg kommer om 5 minutter")
    if state == S.REJECTED:
        actions.reject(world.gp, c.pk, "Ring til klinikken")
    elif state == S.ENDED:
        actions.admit(world.gp, c.pk)
        actions.end(world.gp, c.pk)
    elif state == S.CANCELLED:
        actions.cancel(world.carer, c.pk)
    field = retention.FINISHED_AT.get(state)
    if field:
        Consultation.objects.filter(pk=c.pk).update(
            **{field: timezone.now() - timedelta(days=days_ago)}
        )
    return Consultation.objects.get(pk=c.pk)


def _stats() -> list[tuple]:
    return sorted(
        Consultation.objects.values_list(
            "pk",
            "kind",
            "state",
            "clinic_id",
            "municipality_id",
            "queued_at",
            "admitted_at",
            "ended_at",
            "rejected_at",
            "cancelled_at",
        )
    )


def test_retention_erases_exactly_the_expired_personal_data(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RETENTION_DAYS = 30
    old_ended = _finished(world, S.ENDED, 40, world.cpr)
    old_rejected = _finished(world, S.REJECTED, 31, world.cpr2)
    old_cancelled = _finished(world, S.CANCELLED, 90)
    recent = _finished(world, S.ENDED, 5, world.cpr)
    active = _finished(world, S.QUEUED, 0, world.cpr2)
    before = _stats()

    assert retention.erase_expired() == 3
    for c in (old_ended, old_rejected, old_cancelled):
        c.refresh_from_db()
        assert (c.citizen_name, c.citizen_cpr_encrypted, c.citizen_cpr_hash) == ("", "", "")
        assert (c.reason, c.reject_message, c.employee_name) == ("", "", "")
        assert not Message.objects.filter(consultation=c).exists()
    for c in (recent, active):
        fresh = Consultation.objects.get(pk=c.pk)
        assert fresh.reason == "Feber og hoste" and fresh.citizen_cpr_hash
        assert Message.objects.filter(consultation=c).exists()
    assert _stats() == before  # statistics count the same
    assert retention.erase_expired() == 0  # nothing left to do
    assert AuditEntry.objects.filter(action="retention_erased").count() == 2


def test_retention_erases_the_link_to_a_citizens_own_account(world, settings) -> None:  # type: ignore[no-untyped-def]
    """ "Borger selv": the account is the consultation's own link (never the employee), and
    it goes with the citizen's name and CPR number."""
    settings.RETENTION_DAYS = 30
    inger = make_citizen()
    old, recent = (
        actions.join_queue_by_citizen(
            inger, cpr=cpr, name="Inger Jensen", ydernummer=world.ydernummer, reason="Hoste"
        )
        for cpr in (world.cpr, world.cpr2)
    )
    for c, days_ago in ((old, 40), (recent, 5)):
        actions.cancel(inger, c.pk)
        Consultation.objects.filter(pk=c.pk).update(
            cancelled_at=timezone.now() - timedelta(days=days_ago)
        )
    assert (old.citizen_account, old.employee) == (inger, None)

    assert retention.erase_expired() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.citizen_account, old.citizen_name, old.citizen_cpr_hash) == (None, "", "")
    assert (old.kind, old.state) == ("citizen", "cancelled")
    assert recent.citizen_account == inger and recent.citizen_name == "Inger Jensen"
    assert list(Consultation.objects.followed_by(inger)) == [recent]
    assert retention.erase_expired() == 0


def test_retention_command(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RETENTION_DAYS = 10
    c = _finished(world, S.ENDED, 11, world.cpr)
    call_command("retention")
    c.refresh_from_db()
    assert c.reason == "" and c.citizen_name == ""


@pytest.mark.django_db(transaction=True)
def test_scheduler_runs_retention_once_a_day(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RETENTION_DAYS = 30
    run_once()
    run_once()
    assert RetentionRun.objects.count() == 1
    assert AuditEntry.objects.filter(action="retention_erased").count() == 1
    assert retention.run_daily(timezone.now() + timedelta(days=1)) is True
    assert RetentionRun.objects.count() == 2


def test_rotate_cpr_keys(world, scene, settings) -> None:  # type: ignore[no-untyped-def]
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CPR_ENCRYPTION_KEYS = [old]
    entry = RegistryEntry.objects.first()
    entry.set_cpr(world.cpr)
    entry.save()
    scene.mine.set_citizen_cpr(world.cpr)
    scene.mine.save()
    settings.CPR_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_cpr_keys")
    settings.CPR_ENCRYPTION_KEYS = [new]  # old key retired
    assert RegistryEntry.objects.get(pk=entry.pk).cpr == world.cpr
    assert Consultation.objects.get(pk=scene.mine.pk).citizen_cpr == world.cpr
    # Rows written under the embedded default key (no keys configured) were moved too.
    assert {e.cpr for e in RegistryEntry.objects.all()} >= {world.cpr, world.cpr2}
    assert all(c.citizen_cpr for c in Consultation.objects.exclude(citizen_cpr_encrypted=""))
    assert world.cpr not in RegistryEntry.objects.get(pk=entry.pk).cpr_encrypted


def _idle(client) -> None:  # type: ignore[no-untyped-def]
    session = client.session
    session[sd.LAST_ACTIVITY] = time.time() - 601
    session.save()


def test_idle_employee_must_sign_in_again_with_password_and_code(world, settings) -> None:  # type: ignore[no-untyped-def]
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.IDLE_TIMEOUT_SECONDS = 600
    client = verified_client(world.carer)
    assert client.get("/medarbejder/").status_code == 200
    _idle(client)
    response = client.get("/medarbejder/")
    assert response.status_code == 302 and response["Location"].startswith("/privatliv/genoptag/")
    # Every page now waits, also JSON posts, also the consultation socket (session flag).
    assert client.get("/medarbejder/borger/").status_code == 302
    assert client.post("/medarbejder/borger/", HTTP_ACCEPT="application/json").status_code == 401
    assert not sd.socket_allowed(client.session, "/ws/konsultation/1/")
    device = TOTPDevice.objects.get(user=world.carer)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    wrong = client.post(
        "/privatliv/genoptag/?next=/medarbejder/", {"password": "forkert-kode", "token": code}
    )
    assert wrong.status_code == 200
    ok = client.post(
        "/privatliv/genoptag/?next=/medarbejder/",
        {"password": "Test-adgangskode-1", "token": code},
    )
    assert ok.status_code == 302 and ok["Location"] == "/medarbejder/"
    assert client.get("/medarbejder/").status_code == 200


def test_clinic_staff_are_not_idle_locked(world) -> None:  # type: ignore[no-untyped-def]
    client = verified_client(world.gp)
    _idle(client)
    assert client.get("/klinik/").status_code == 200


def test_a_video_call_is_use_of_the_device(world, scene) -> None:  # type: ignore[no-untyped-def]
    """A call makes no requests: after 10 minutes in one the employee can still end it and
    log the citizen out, and the idle time runs from the call's end."""
    client = verified_client(world.carer)
    actions.admit(world.gp, scene.mine.pk)
    _idle(client)
    ended = client.post(f"/konsultation/{scene.mine.pk}/afslut/", HTTP_ACCEPT="application/json")
    assert ended.status_code == 200, ended.content
    assert Consultation.objects.get(pk=scene.mine.pk).state == Consultation.State.ENDED
    _idle(client)  # the last request long ago, the call's end just now
    assert client.post("/medarbejder/log-borger-ud/").status_code == 302
    assert client.get("/medarbejder/").status_code == 200
    # Eleven minutes after the call, with no request since, the device locks.
    Consultation.objects.filter(pk=scene.mine.pk).update(
        ended_at=timezone.now() - timedelta(seconds=660)
    )
    _idle(client)
    response = client.get("/medarbejder/")
    assert response.status_code == 302 and response["Location"].startswith("/privatliv/genoptag/")


def test_the_queued_consultations_page_answers_however_long_it_waits(world, scene) -> None:  # type: ignore[no-untyped-def]
    """The employee is told to stay on the page until the doctor calls: its page and its
    forms answer after the idle time, but any other page locks the device."""
    client = verified_client(world.carer)
    page = f"/konsultation/{scene.mine.pk}/"
    _idle(client)
    assert client.get(page).status_code == 200
    assert not client.session.get(sd.IDLE_LOCKED)
    # Not another consultation's page, although it is the employee's own.
    actions.cancel(world.carer, scene.mine.pk)
    assert client.get(page).status_code == 302
    assert client.session.get(sd.IDLE_LOCKED)


def test_waiting_in_the_queue_does_not_open_other_pages(world, scene) -> None:  # type: ignore[no-untyped-def]
    client = verified_client(world.carer)
    _idle(client)
    response = client.get("/medarbejder/borger/")
    assert response.status_code == 302 and response["Location"].startswith("/privatliv/genoptag/")
    # The device is locked now, the queue's page too.
    assert client.get(f"/konsultation/{scene.mine.pk}/").status_code == 302


def test_citizen_mode_locks_the_tablet_to_the_consultation(world, scene) -> None:  # type: ignore[no-untyped-def]
    client = verified_client(world.carer)
    page = f"/konsultation/{scene.mine.pk}/"
    actions.admit(world.gp, scene.mine.pk)  # citizen mode is for a running consultation
    assert "Borgertilstand" in client.get(page).content.decode()
    assert client.post(f"/privatliv/borgertilstand/{scene.mine.pk}/")["Location"] == page
    body = client.get(page).content.decode()
    assert "Lås op" in body and "Log ud" not in body
    for other in ("/medarbejder/", "/medarbejder/borger/", "/klinik/", "/revision/", "/"):
        response = client.get(other)
        assert response.status_code == 302 and response["Location"] == page, other
    assert client.post("/konto/log-ud/").status_code == 403
    assert client.post("/medarbejder/log-borger-ud/").status_code == 403
    # Not even the same employee's other consultation is reachable.
    second = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Udslæt")
    assert client.get(f"/konsultation/{second.pk}/")["Location"] == page
    # Idle time does not unlock anything; the lock stays until the password is given.
    _idle(client)
    assert client.get(page).status_code == 200
    assert client.post("/privatliv/laas-op/", {"password": "forkert-kode-1"}).status_code == 200
    assert client.get("/medarbejder/")["Location"] == page
    unlocked = client.post("/privatliv/laas-op/", {"password": "Test-adgangskode-1"})
    assert unlocked["Location"] == page
    assert client.get("/medarbejder/").status_code == 200
    assert list(
        AuditEntry.objects.filter(action__startswith="citizen_mode").values_list(
            "action", flat=True
        )
    ) == ["citizen_mode_on", "citizen_mode_off"]


def test_citizen_mode_only_for_own_running_consultation(world, scene) -> None:  # type: ignore[no-untyped-def]
    client = verified_client(world.carer)
    assert client.post(f"/privatliv/borgertilstand/{scene.theirs.pk}/").status_code == 404
    actions.cancel(world.carer, scene.mine.pk)
    assert client.post(f"/privatliv/borgertilstand/{scene.mine.pk}/").status_code == 404
